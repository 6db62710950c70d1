from openprofiles.cli.main import main

main()
