from keyconf.cli import main

main()
