from eonode.cli.main import main

main()
