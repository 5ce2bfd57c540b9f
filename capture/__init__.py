"""evidence-capture: capture web pages as hashed, timestamped, verifiable evidence bundles."""

import sys

__version__ = "0.2.0"


def _interrupted_at_start(signum, frame):
    """A Ctrl-C before the command's own handling starts: nothing was started yet."""
    raise SystemExit(130)


def _started_as_the_tool() -> bool:
    """This import is the `evidence` command starting (`python -m capture`, or the console
    script), not a library user or a test importing the package."""
    if sys.argv[:1] == ["-m"]:  # Python sets this while it locates the module of `-m`
        args = getattr(sys, "orig_argv", [])
        at = args.index("-m") + 1 if "-m" in args else len(args)
        return args[at : at + 1] == ["capture"]  # not `-m capture.schemas`
    main = sys.modules.get("__main__")
    script = getattr(main, "__file__", None) or ""
    return script.replace("\\", "/").rsplit("/", 1)[-1] in ("evidence", "evidence-script.py")


# Between here and entry() Python may still compile __main__ and import the CLI (from
# source where PYTHONDONTWRITEBYTECODE is set, as on our CI machines): a Ctrl-C there gave
# Python's KeyboardInterrupt traceback. entry() puts Python's own handler back first.
if _started_as_the_tool():
    import signal

    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not when ignored (nohup, &)
        signal.signal(signal.SIGINT, _interrupted_at_start)
