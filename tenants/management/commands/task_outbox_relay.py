from django.core.management.base import BaseCommand

from tenants.outbox import outbox_pending, outbox_relay


class Command(BaseCommand):
    help = "Send the tasks left in the task outbox (written while the broker was down)."

    def handle(self, *args, **options):
        sent = outbox_relay()
        self.stdout.write(f"{sent} task(s) sent, {outbox_pending()} left.")
