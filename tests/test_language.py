"""The command line speaks the reader's language; what scripts read never changes with it."""

from __future__ import annotations

import os
import string
import subprocess
import sys
import unicodedata

import click
import pytest
from click.testing import CliRunner

from capture.cli import main
from capture.messages import MESSAGES, language, t

# The variables that decide are all set or cleared, so the developer's own locale or
# EVIDENCE_LANG cannot leak into a run.
_CLEAR = {"LC_ALL": None, "LC_MESSAGES": None, "EVIDENCE_LANG": None}
ZH = {**_CLEAR, "LANG": "zh_CN.UTF-8"}
EN = {**_CLEAR, "LANG": "C.UTF-8"}


def _run(args, env, **extra):
    return CliRunner().invoke(main, args, env=env, prog_name="evidence", terminal_width=80, **extra)


def _flat(text: str) -> str:
    # Help is rewrapped to the terminal; compare the words, not where the lines break.
    return "".join(text.split())


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_message_has_both_languages_and_the_same_placeholders():
    for message_id, texts in MESSAGES.items():
        assert len(texts) == 2 and all(text.strip() for text in texts), message_id
        zh, en = texts
        assert _fields(zh) == _fields(en), message_id


def test_an_unknown_message_id_fails_loudly():
    with pytest.raises(KeyError):
        t("no.such.message")


@pytest.mark.parametrize("environ, platform, expected", [
    ({"LANG": "zh_CN.UTF-8"}, "linux", "zh"),
    ({"LANG": "C.UTF-8"}, "linux", "en"),
    ({"LANG": "zh_TW.Big5"}, "darwin", "zh"),
    ({"LC_ALL": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, "linux", "en"),
    ({"LC_ALL": "", "LC_MESSAGES": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, "linux", "zh"),
    ({"EVIDENCE_LANG": "en", "LC_ALL": "zh_CN.UTF-8"}, "linux", "en"),
    ({"EVIDENCE_LANG": "zh", "LANG": "C.UTF-8"}, "linux", "zh"),
    ({"EVIDENCE_LANG": "klingon", "LANG": "zh_CN.UTF-8"}, "linux", "zh"),
    ({}, "linux", "en"),
    # No Windows API on this machine: the guard answers English instead of failing.
    ({}, "win32", "en"),
])
def test_language_follows_evidence_lang_then_the_locale(environ, platform, expected):
    assert language(environ, platform) == expected


def _commands():
    return [main, *main.commands.values()]


def test_every_command_and_option_has_help_from_the_catalogue():
    # With the group's own settings: Click keeps the first help option it makes.
    root = click.Context(main, info_name="evidence", **main.context_settings)
    for command in _commands():
        assert command._help_id in MESSAGES, command.name
        ctx = root if command is main else click.Context(command, parent=root)
        for param in command.get_params(ctx):
            if isinstance(param, click.Option) and param.name != "_click_default_help":
                assert param._help_id in MESSAGES, f"{command.name} {param.opts}"


def test_main_help_in_chinese_and_in_english():
    zh = _run(["--help"], ZH)
    assert zh.exit_code == 0
    assert zh.output.startswith("用法：evidence [OPTIONS] COMMAND [ARGS]...")
    assert "把网页采集成证据包：每个文件都算出哈希、可加时间戳，任何人都能核验。" in zh.output
    assert "命令：\n  capture  采集网页，生成新的证据包。\n" in zh.output
    assert "-h, --help  显示本帮助并退出。" in zh.output
    en = _run(["--help"], EN)
    assert en.exit_code == 0
    assert en.output.startswith("Usage: evidence [OPTIONS] COMMAND [ARGS]...")
    assert "Capture web pages as evidence: hashed, timestamped, verifiable bundles." in en.output
    assert "Commands:\n  capture  Capture pages into a new evidence bundle.\n" in en.output


ZH_EXAMPLES = """
  示例：

    把订单页、商品页和客服聊天记录采集进同一个证据包：
    evidence capture --order https://shop.example/order/123 \\
                     --product https://shop.example/item/9 \\
                     --chat https://shop.example/im/123 -o my-complaint

    按计划文件 plan.toml 里列出的目标采集：
    evidence capture --plan plan.toml -o my-complaint
"""

EN_EXAMPLES = """
  Examples:

    Order page, product page and customer-service chat in one bundle:
    evidence capture --order https://shop.example/order/123 \\
                     --product https://shop.example/item/9 \\
                     --chat https://shop.example/im/123 -o my-complaint

    The targets listed in a plan file:
    evidence capture --plan plan.toml -o my-complaint
"""


def test_capture_help_ends_with_two_examples_in_the_readers_language():
    zh = _run(["capture", "--help"], ZH)
    assert zh.exit_code == 0 and zh.output.endswith(ZH_EXAMPLES)
    en = _run(["capture", "--help"], EN)
    assert en.exit_code == 0 and en.output.endswith(EN_EXAMPLES)


def test_capture_help_explains_the_case_options_in_both_languages():
    zh = _flat(_run(["capture", "--help"], ZH).output)
    assert _flat("--order-id ID 订单号，照平台上显示的填写；记入清单和报告。") in zh
    assert _flat("--case-title TEXT 案件标题，显示在报告上（例如“卡密未发货”）。") in zh
    assert _flat("--lang [zh|en|both] 报告的语言：zh 中文，en 英文，both 中英对照。 [默认：both]") in zh
    en = _flat(_run(["capture", "--help"], EN).output)
    assert _flat("--order-id ID Order number as the platform shows it; recorded in the "
                 "manifest and the report.") in en
    assert _flat("--lang [zh|en|both] Report language: Chinese, English, or both side by "
                 "side. [default: both]") in en


def test_evidence_lang_overrides_the_locale():
    english = _run(["capture", "--help"], {**ZH, "EVIDENCE_LANG": "en"})
    assert english.output.endswith(EN_EXAMPLES)
    chinese = _run(["capture", "--help"], {**EN, "EVIDENCE_LANG": "zh"})
    assert chinese.output.endswith(ZH_EXAMPLES)


def _columns(line: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)


@pytest.mark.parametrize("command", sorted(main.commands))
def test_chinese_help_fits_an_80_column_terminal(command):
    result = _run([command, "--help"], ZH)
    assert result.exit_code == 0
    too_wide = [line for line in result.output.splitlines() if _columns(line) > 80]
    assert too_wide == []


def test_a_url_without_scheme_gets_the_hint_in_the_readers_language(tmp_path):
    out = tmp_path / "bundle"
    zh = _run(["capture", "shop.example.com/x", "-o", str(out)], ZH)
    assert zh.exit_code == 2 and zh.output.startswith("evidence：")
    assert "网址 'shop.example.com/x' 前面缺少 http:// 或 https://；您是不是想输入 " \
           "https://shop.example.com/x ？" in zh.output
    en = _run(["capture", "shop.example.com/x", "-o", str(out)], EN)
    assert en.exit_code == 2 and en.output.startswith("evidence: ")
    assert "URL has no http:// or https:// in front: 'shop.example.com/x'; did you mean " \
           "https://shop.example.com/x ?" in en.output
    assert "Traceback" not in zh.output + en.output and not out.exists()


@pytest.mark.parametrize("args, zh_line, en_line", [
    (["doctor", "https://shop.example/order/1"],
     "evidence：只有加上 --clean-check 才能给网址：evidence doctor --clean-check 网址 ...\n",
     "evidence: URLs are only taken with --clean-check: evidence doctor --clean-check URL ...\n"),
    (["login"],
     "evidence：请给出网址和 --profile 名字（或者用 --list，或 --delete 名字）\n",
     "evidence: give a URL and --profile NAME (or --list, or --delete NAME)\n"),
])
def test_usage_errors_are_one_line_in_the_readers_language(args, zh_line, en_line):
    zh, en = _run(args, ZH), _run(args, EN)
    assert (zh.exit_code, zh.output) == (2, zh_line)
    assert (en.exit_code, en.output) == (2, en_line)


@pytest.mark.parametrize("args", [["schema"], ["schema", "--report"]])
def test_schema_output_is_the_same_bytes_in_both_languages(args):
    zh, en = _run(args, ZH), _run(args, EN)
    assert zh.exit_code == en.exit_code == 0
    assert zh.stdout_bytes == en.stdout_bytes and b'"$schema"' in en.stdout_bytes


def test_help_is_chinese_outside_the_test_runner_too():
    env = {k: v for k, v in os.environ.items() if k not in _CLEAR}
    result = subprocess.run([sys.executable, "-m", "capture", "--help"], capture_output=True,
                            env={**env, "LANG": "zh_CN.UTF-8"}, timeout=120, check=False)
    out = result.stdout.decode("utf-8")
    assert result.returncode == 0, result.stderr
    assert out.startswith("用法：evidence [OPTIONS] COMMAND [ARGS]...")
    assert "把网页采集成证据包" in out


def test_network_errors_are_a_plain_sentence_with_the_code_kept():
    from capture.messages import explain_network_error

    raw = "could not load the page: Page.goto: net::ERR_NAME_NOT_RESOLVED at https://shop.example/order/1"
    assert explain_network_error(raw, {"LANG": "zh_CN.UTF-8"}) == "无法解析域名 shop.example（net::ERR_NAME_NOT_RESOLVED）"
    assert explain_network_error(raw, {"LANG": "C.UTF-8"}) == (
        "the name shop.example could not be resolved (net::ERR_NAME_NOT_RESOLVED)")
    assert explain_network_error("capture failed: boom", {"LANG": "zh_CN"}) == "capture failed: boom"


def test_a_refused_capture_is_explained_on_the_console_and_recorded_raw(tmp_path):
    from .servers import serve

    with serve() as site:
        dead = site
    out = tmp_path / "bundle"
    result = CliRunner().invoke(main, ["capture", f"{dead}/x", "--no-report", "--no-trace", "--timeout", "5",
                                       "-o", str(out)], env={"LANG": "zh_CN.UTF-8", "EVIDENCE_LANG": ""})
    assert result.exit_code == 1
    assert "127.0.0.1 拒绝连接（net::ERR_CONNECTION_REFUSED）" in result.output
    manifest = (out / "manifest.json").read_text(encoding="utf-8")
    assert "拒绝" not in manifest and "net::ERR_CONNECTION_REFUSED" in manifest  # the record stays as given


def test_verify_speaks_the_readers_language_and_its_json_does_not(tmp_path):
    from .bundles import make_bundle

    root = make_bundle(tmp_path / "bundle")
    zh = CliRunner().invoke(main, ["verify", str(root)], env={"LANG": "zh_CN.UTF-8", "EVIDENCE_LANG": ""})
    en = CliRunner().invoke(main, ["verify", str(root)], env={"LANG": "C.UTF-8", "EVIDENCE_LANG": ""})
    assert zh.exit_code == en.exit_code == 0
    assert zh.output.splitlines()[-1].startswith("INTACT：") and "个文件与清单一致" in zh.output
    assert en.output.splitlines()[-1].startswith("INTACT: ") and "files match the manifest" in en.output
    assert "没有可信时间戳时" in zh.output
    as_json = [CliRunner().invoke(main, ["verify", str(root), "--json"], env={"LANG": lang, "EVIDENCE_LANG": ""}).output
               for lang in ("zh_CN.UTF-8", "C.UTF-8")]
    assert as_json[0] == as_json[1]


# --- every line a person reads, in both languages, through the real command line -------

# Besides the language: the browser and proxy settings of the developer's shell must not
# reach the runs below.
_CLEAR_ALSO = ("EVIDENCE_BROWSER", "EVIDENCE_BROWSER_ENDPOINT", "EVIDENCE_CDP_ENDPOINT")


def _cli(args, lang, cwd=None):
    """`python -m capture ARGS` under LANG=lang: (exit code, stdout + stderr)."""
    env = {k: v for k, v in os.environ.items() if k not in _CLEAR and k not in _CLEAR_ALSO}
    done = subprocess.run([sys.executable, "-m", "capture", *map(str, args)], capture_output=True,
                          env={**env, "LANG": lang}, cwd=cwd, timeout=180, check=False)
    return done.returncode, done.stdout.decode("utf-8") + done.stderr.decode("utf-8")


def _both(args, cwd=None):
    (zh_code, zh), (en_code, en) = _cli(args, "zh_CN.UTF-8", cwd), _cli(args, "C.UTF-8", cwd)
    assert zh_code == en_code, (zh, en)
    assert "Traceback" not in zh + en
    return zh_code, zh, en


@pytest.mark.parametrize("text, zh_line, en_line", [
    ('[[target]]\nurl = "http://127.0.0.1/a"\nclik = ["x"]\n',
     "：第 1 个目标（http://127.0.0.1/a），键 'clik'：无法识别的键\n",
     ": target 1 (http://127.0.0.1/a), key 'clik': unknown key\n"),
    ('[case]\ntitle = "x"\n', "：键 'target'：缺少必填的键\n", ": key 'target': required key is missing\n"),
    ('[[target]\nurl = 1\n', "：计划文件不是有效的 TOML：Expected", ": not valid TOML: Expected"),
])
def test_a_bad_plan_file_is_explained_in_the_readers_language(tmp_path, text, zh_line, en_line):
    plan = tmp_path / "plan.toml"
    plan.write_text(text, encoding="utf-8")
    code, zh, en = _both(["capture", "--plan", plan, "-o", tmp_path / "out"])
    assert code == 2
    assert zh.startswith(f"evidence：{plan}{zh_line}")
    assert en.startswith(f"evidence: {plan}{en_line}")


def test_an_unreadable_plan_file_keeps_the_systems_reason(tmp_path):
    missing = tmp_path / "nothing.toml"
    code, zh, en = _both(["capture", "--plan", missing])
    assert code == 2
    assert zh.startswith(f"evidence：无法读取计划文件 {missing}：")
    assert en.startswith(f"evidence: cannot read plan {missing}: ")


@pytest.mark.parametrize("args, zh_error, en_error", [
    (["capture", "--foo"], "错误：没有 '--foo' 这个选项。", "Error: No such option '--foo'."),
    (["verify"], "错误：缺少参数 'BUNDLE...'。", "Error: Missing argument 'BUNDLE...'."),
    (["capture", "--jobs", "0"], "错误：'--jobs' 的值无效：0 不在范围 1<=x<=32 之内。",
     "Error: Invalid value for '--jobs': 0 is not in the range 1<=x<=32."),
    (["pack", "a", "b"], "错误：多出了参数（b）", "Error: Got unexpected extra argument (b)"),
    (["verfy"], "错误：没有 'verfy' 这个命令。您是不是想用 'verify'？",
     "Error: No such command 'verfy'. Did you mean 'verify'?"),
])
def test_clicks_own_parse_errors_in_the_readers_language(args, zh_error, en_error):
    code, zh, en = _both(args)
    assert code == 2
    command = " ".join(["evidence", *args[:1]]) if args[0] in main.commands else "evidence"
    assert zh.startswith(f"用法：{command} [OPTIONS]")
    assert f"\n运行 '{command} --help' 查看帮助。\n" in zh
    assert zh.endswith(f"\n{zh_error}\n")
    # English is Click's own text, untouched.
    assert en.startswith(f"Usage: {command} [OPTIONS]")
    assert f"\nTry '{command} --help' for help.\n" in en
    assert en.endswith(f"\n{en_error}\n")


def test_a_click_message_not_recognised_stays_english(monkeypatch):
    from capture.clickerrors import translate

    monkeypatch.setenv("EVIDENCE_LANG", "zh")
    assert translate("No such option '--foo'.") == "没有 '--foo' 这个选项。"
    assert translate("Something Click says in a later version.") == "Something Click says in a later version."
    assert translate("Invalid value for '--x': a reason we do not know.") == (
        "'--x' 的值无效：a reason we do not know.")


def test_pack_and_stamp_usage_errors_in_the_readers_language(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    code, zh, en = _both(["pack", folder])
    assert code == 2
    assert zh == f"evidence：{folder} 不是证据包目录（里面没有 manifest.json）\n"
    assert en == f"evidence: {folder} is not an evidence bundle directory (no manifest.json in it)\n"
    code, zh, en = _both(["stamp", folder, "--tsa", "http://127.0.0.1:9/"])
    assert code == 2
    assert zh == f"evidence：{folder} 不是证据包（里面没有 manifest.json）\n"
    assert en == f"evidence: {folder} is not an evidence bundle (no manifest.json)\n"


def test_the_pack_summary_in_the_readers_language_with_the_same_fingerprint(tmp_path):
    from .bundles import make_bundle

    zh_root, en_root = make_bundle(tmp_path / "zh"), make_bundle(tmp_path / "en")
    zh = _run(["pack", str(zh_root), "--max-mb", "1"], ZH)
    en = _run(["pack", str(en_root), "--max-mb", "1"], EN)
    assert zh.exit_code == en.exit_code == 0
    assert zh.output.startswith(f"已写入 {tmp_path / 'zh-upload'}：每个文件最多 1 MB（1,000,000 字节）\n")
    assert en.output.startswith(f"wrote {tmp_path / 'en-upload'}: every file at most 1 MB (1,000,000 bytes)\n")
    assert "\n上传每个 zip；README.txt 说明了每个文件是什么。\n" in zh.output
    assert "\nUpload every zip; README.txt says what each file is.\n" in en.output
    assert zh.output.splitlines()[-1].startswith("工作人员这样核验：evidence verify zh.zip --expect ")
    assert en.output.splitlines()[-1].startswith("Staff check it with: evidence verify en.zip --expect ")


def test_doctor_advice_in_the_readers_language_and_check_names_unchanged(tmp_path):
    code, zh, en = _both(["doctor", "-o", tmp_path, "--browser-endpoint", "ws://127.0.0.1:9/"])
    assert code == 1
    assert "\n问题 browser connects: " in "\n" + zh
    assert "\n     解决办法：检查端点网址，并确认服务器正在运行\n" in zh
    assert f"\n正常 output directory: {tmp_path} 可写\n" in zh
    assert "\nPROBLEM browser connects: " in "\n" + en
    assert "\n        fix: check the endpoint URL and that the server runs\n" in en
    assert f"\nOK      output directory: {tmp_path} writable\n" in en


def test_verify_of_what_is_no_bundle_says_so_in_the_readers_language(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    code, zh, en = _both(["verify", folder])
    assert code == 2
    assert zh == f"evidence：{folder} 里没有 manifest.json：它不是证据包\n"
    assert en == f"evidence: {folder} has no manifest.json: it is not an evidence bundle\n"
    code, zh, en = _both(["verify", tmp_path / "missing"])
    assert code == 2 and "不存在" in zh and "does not exist" in en
