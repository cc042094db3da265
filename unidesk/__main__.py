from unidesk.cli import main

main()
