"""Development e-mail: each message appended to a log file (`EMAIL_LOG_FILE`) as the console
backend would print it, so the demo's e-mails can be read without flooding the terminal."""

from pathlib import Path

from django.conf import settings
from django.core.mail.backends.console import EmailBackend as ConsoleEmailBackend


class LogFileEmailBackend(ConsoleEmailBackend):
    def __init__(self, *args, **kwargs):
        path = Path(settings.EMAIL_LOG_FILE)
        path.parent.mkdir(parents=True, exist_ok=True)
        kwargs["stream"] = path.open("a", encoding="utf-8")  # noqa: SIM115 (closed below)
        super().__init__(*args, **kwargs)

    def close(self):
        try:
            super().close()
        finally:
            self.stream.flush()

    def __del__(self):
        stream = getattr(self, "stream", None)
        if stream is not None and not stream.closed:
            stream.close()
