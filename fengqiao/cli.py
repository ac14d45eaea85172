"""The ``fengqiao`` command.

``fengqiao X …`` runs the management command X (``demo``, ``serve``, ``worker``, ``migrate``,
``apikey``, ``createuser``, ``place``, ``assistant`` …); ``fengqiao manage X …`` does the same for any Django
command. Both honour FENGQIAO_HOME and FENGQIAO_DATABASE_URL.
"""

import os
import sys


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fengqiao.settings")
    if argv and argv[0] == "manage":
        argv = argv[1:]
    if not argv:
        argv = ["help", "--commands"]
        print(
            "fengqiao: demo | serve | worker | migrate | apikey | createuser | assistant | manage …"
        )
    from django.core.management import execute_from_command_line

    execute_from_command_line(["fengqiao", *argv])


if __name__ == "__main__":
    main()
