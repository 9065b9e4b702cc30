from digest_tui.cli import main

raise SystemExit(main())
