try:
    from .cli import main
except KeyboardInterrupt:  # a Ctrl-C while Python still imports: nothing was started yet
    raise SystemExit(130) from None

main(prog_name="evidence")
