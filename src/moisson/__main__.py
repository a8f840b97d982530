from moisson.cli import main

main()
