"""Serve a pycsw 2.6 catalog on loopback, for the test suite and the CSW benchmark.

Run with the Python of pycsw's own virtualenv (`make pycsw-venv`), never with Moisson's:
pycsw 2.6 needs SQLAlchemy 1.4. It loads every `*.xml` file of `--records` into a fresh
SQLite repository in `--workdir`, writes the configuration there, binds a free port of
127.0.0.1 and prints `port <n>` on its first line of output once it accepts requests.
"""

from __future__ import annotations

import argparse
import configparser
import logging
import sys
from pathlib import Path
from wsgiref.simple_server import WSGIRequestHandler, make_server


def configuration(workdir: Path, port: int, max_records: int) -> configparser.ConfigParser:
    config = configparser.ConfigParser(interpolation=None)
    config["server"] = {
        "home": str(workdir),
        "url": f"http://127.0.0.1:{port}/csw",
        "mimetype": "application/xml; charset=UTF-8",
        "encoding": "UTF-8",
        "language": "en-US",
        "maxrecords": str(max_records),
        "loglevel": "WARNING",
        "logfile": str(workdir / "pycsw.log"),
        "pretty_print": "false",
        "profiles": "apiso",
        # Schema locations are only written into responses: never fetched.
        "ogc_schemas_base": "http://schemas.opengis.net",
    }
    config["manager"] = {"transactions": "false", "allowed_ips": "127.0.0.1"}
    config["metadata:main"] = {
        "identification_title": "Moisson test catalog",
        "identification_abstract": "Records served to the Moisson test suite",
        "identification_keywords": "test,moisson",
        "identification_keywords_type": "theme",
        "identification_fees": "None",
        "identification_accessconstraints": "None",
        "provider_name": "Moisson",
        "provider_url": "http://127.0.0.1/",
        "contact_name": "Moisson",
        "contact_position": "none",
        "contact_address": "none",
        "contact_city": "none",
        "contact_stateorprovince": "none",
        "contact_postalcode": "none",
        "contact_country": "none",
        "contact_phone": "none",
        "contact_fax": "none",
        "contact_email": "moisson@example.test",
        "contact_url": "http://127.0.0.1/",
        "contact_hours": "none",
        "contact_instructions": "none",
        "contact_role": "pointOfContact",
    }
    config["metadata:inspire"] = {"enabled": "false"}
    config["repository"] = {
        "database": f"sqlite:///{workdir / 'records.db'}",
        "table": "records",
    }
    return config


def load(records: Path, config: configparser.ConfigParser) -> None:
    from pycsw.core import admin
    from pycsw.core.config import StaticContext

    database = config["repository"]["database"]
    table = config["repository"]["table"]
    admin.setup_db(database, table, config["server"]["home"])
    admin.load_records(StaticContext(), database, table, str(records))


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=Path, required=True)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--max-records", type=int, default=10)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)

    from pycsw import server

    httpd = make_server("127.0.0.1", 0, lambda env, start: None, handler_class=QuietHandler)
    port = httpd.server_address[1]
    config = configuration(args.workdir, port, args.max_records)
    load(args.records, config)

    def application(env: dict[str, object], start_response):  # type: ignore[no-untyped-def]
        env["local.app_root"] = str(args.workdir)
        status, contents = server.Csw(config, env).dispatch_wsgi()
        headers = [("Content-Type", "application/xml; charset=UTF-8")]
        headers.append(("Content-Length", str(len(contents))))
        start_response(status, headers)
        return [contents]

    httpd.set_app(application)
    sys.stdout.write(f"port {port}\n")
    sys.stdout.flush()
    httpd.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
