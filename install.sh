#!/bin/sh
# Install reminderd from this folder for the user who runs it (root or not):
# the Debian/Ubuntu packages it needs (through sudo unless you are root), a virtual
# environment in ~/.local/share/reminderd-venv, the `reminderd` command in ~/.local/bin
# and its manual page in ~/.local/share/man (so `man reminderd` finds it).
set -eu
cd "$(dirname "$0")"

venv="$HOME/.local/share/reminderd-venv"
missing=""
for package in python3-venv libnotify-bin; do
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
mkdir -p "$HOME/.local/bin" "$HOME/.local/share/man/man1"
ln -sf "$venv/bin/reminderd" "$HOME/.local/bin/reminderd"
"$venv/bin/reminderd" man > "$HOME/.local/share/man/man1/reminderd.1"

echo "Installed: $HOME/.local/bin/reminderd (manual: man reminderd)"
case ":$PATH:" in
    *":$HOME/.local/bin:"*) ;;
    *) echo "Add ~/.local/bin to your PATH for \`reminderd\` and \`man reminderd\`:" \
            "echo 'export PATH=\"\$HOME/.local/bin:\$PATH\"' >> ~/.profile" ;;
esac
