try:
    from .cli import entry
except KeyboardInterrupt:  # a Ctrl-C while Python still imports: nothing was started yet
    raise SystemExit(130) from None

entry()
