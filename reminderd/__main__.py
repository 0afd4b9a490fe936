from reminderd.cli import main

main()
