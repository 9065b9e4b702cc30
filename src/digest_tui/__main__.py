from digest_tui.cli import main

if __name__ == "__main__":  # not when worker processes import the main module
    raise SystemExit(main())
