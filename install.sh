#!/bin/sh
# Install reminderd from this folder for the user who runs it (root or not):
# the Debian/Ubuntu packages it needs (through sudo unless you are root), a virtual
# environment in ~/.local/share/reminderd-venv, the `reminderd` command in ~/.local/bin,
# its manual page in ~/.local/share/man (so `man reminderd` finds it) and its application
# entry (the name and icon of its notifications). `reminderd uninstall` takes it all away.
set -eu
cd "$(dirname "$0")"

venv="$HOME/.local/share/reminderd-venv"
missing=""
# python3-tk: the check-in window ("Answer in full…"); libnotify-bin: plain notifications.
for package in python3-venv python3-tk libnotify-bin; do
    dpkg-query -W -f '${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing="$missing $package"
done
if [ -n "$missing" ]; then
    if [ "$(id -u)" -eq 0 ]; then
        as_root=""
    elif command -v sudo >/dev/null 2>&1; then
        as_root="sudo"
    else
        echo "install.sh: reminderd needs$missing; ask an administrator to run: apt-get install$missing" >&2
        exit 1
    fi
    $as_root apt-get update -qq
    $as_root apt-get install -y -qq$missing
fi

python3 -m venv "$venv"
"$venv/bin/pip" install -q .
applications="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
mkdir -p "$HOME/.local/bin" "$HOME/.local/share/man/man1" "$applications"
ln -sf "$venv/bin/reminderd" "$HOME/.local/bin/reminderd"
"$venv/bin/reminderd" man > "$HOME/.local/share/man/man1/reminderd.1"
"$venv/bin/reminderd" desktop-entry > "$applications/reminderd.desktop"

echo "Installed: $HOME/.local/bin/reminderd (manual: man reminderd)"
case ":$PATH:" in
    *":$HOME/.local/bin:"*) ;;
    *) echo "Add ~/.local/bin to your PATH for \`reminderd\` and \`man reminderd\`:" \
            "echo 'export PATH=\"\$HOME/.local/bin:\$PATH\"' >> ~/.profile" ;;
esac
