"""The ``fengqiao`` command.

``fengqiao X …`` runs the management command X (``demo``, ``serve``, ``worker``, ``migrate``,
``apikey``, ``createuser``, ``place``, ``assistant`` …); ``fengqiao manage X …`` does the same for any Django
command. Both honour FENGQIAO_HOME and FENGQIAO_DATABASE_URL.
"""

import os
import sys

# Commands that change the schema or grants: run as the owner when FENGQIAO_MIGRATE_DATABASE_URL
# is set (the application itself connects as a role without TRUNCATE/TRIGGER/DDL rights).
OWNER_COMMANDS = {"migrate", "createcachetable", "flush", "db grant", "backup", "restore"}


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    if argv and argv[0] == "manage":
        argv = argv[1:]
    if argv == ["assistant", "screen", "--jsonl"] and not sys.stderr.isatty():
        # Screening needs the model file only: skip setting Django up (start-up was most of the
        # time of a batch). On a terminal the command runs as usual (coloured error lines).
        from fengqiao.assistant import screen_cli

        sys.exit(screen_cli.main())
    if argv and (argv[0] in OWNER_COMMANDS or " ".join(argv[:2]) in OWNER_COMMANDS):
        # Schema changes run as the database owner (FENGQIAO_MIGRATE_DATABASE_URL, if set).
        os.environ["FENGQIAO_AS_OWNER"] = "1"
    if not argv:
        argv = ["help", "--commands"]
        print(
            "fengqiao: demo | serve | worker | migrate | apikey | createuser | assistant | manage …"
        )
    from django.core.management import execute_from_command_line

    execute_from_command_line(["fengqiao", *argv])


if __name__ == "__main__":
    main()
