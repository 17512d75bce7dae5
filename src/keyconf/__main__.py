from keyconf.entry import main

main()
