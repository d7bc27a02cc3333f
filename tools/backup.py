"""`make backup` / `make restore`: an Odoo database and its filestore as one zip archive.

    .venv/bin/python tools/backup.py --config CONF backup DB [--dir DIR] [--keep N]
    .venv/bin/python tools/backup.py --config CONF restore FILE DB [--force] [--neutralize]

The archive is the one of Odoo's database manager (/web/database/manager, "Backup" in zip
format, and `odoo-bin db dump`), so either side restores the other's archives:

    dump.sql        pg_dump --no-owner of the database (plain SQL)
    filestore/      the attachments' files (data_dir/filestore/DB)
    manifest.json   Odoo's manifest (db_name, version, major_version, pg_version, the installed
                    modules with their versions) and keys Odoo ignores: created (UTC),
                    module_version (delivery_crm's), filestore_files, filestore_bytes and
                    checksums (sha256 of dump.sql and of the filestore's file list and contents)

The backup is named DB_YYYY-MM-DD_HH-MM-SS.zip (UTC, Odoo's own naming), written under a
temporary name, read back and checked, then renamed; a DB_....zip.sha256 next to it lets
`sha256sum -c` check a copy. Only then are the older archives of DB beyond the newest N
deleted. The database is dumped before the filestore is copied: Odoo never deletes a file
that a committed attachment still uses, so every file the dump refers to is in the copy.

A restore checks the archive (zip CRCs, checksums of the manifest, Odoo major version),
refuses a database or filestore that already exists unless --force (which drops it first),
restores with Odoo's own restore_db (a real restore keeps the database's uuid and secret;
--neutralize makes a test copy: new uuid, Odoo's neutralization: no mail, no crons), then
checks that the installed modules and the filestore are those of the archive.
"""

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

MODULE = "delivery_crm"
CHUNK = 1 << 20
STAMP = "%Y-%m-%d_%H-%M-%S"


class Failure(Exception):
    """A clear, expected error: printed without a traceback, exit status 1."""


def say(message):
    print(f"[backup] {message}", file=sys.stderr, flush=True)


def archive_name_pattern(db):
    return re.compile(re.escape(db) + r"_\d{4}-\d{2}-\d{2}_\d{2}-\d{2}-\d{2}\.zip")


def tree_digest(entries):
    """One sha256 over (relative path, sha256 of the content) of every file, sorted."""
    digest = hashlib.sha256()
    for rel, sha in sorted(entries):
        digest.update(f"{rel}\0{sha}\n".encode())
    return digest.hexdigest()


def copy_hashed(source, target):
    """Copy the binary stream ``source`` into ``target``; the sha256 and size of the bytes."""
    digest, size = hashlib.sha256(), 0
    while chunk := source.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if target is not None:
            target.write(chunk)
    return digest.hexdigest(), size


def database_exists(name):
    from odoo.sql_db import db_connect

    with db_connect("postgres").cursor() as cr:
        cr.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        return bool(cr.fetchone())


def installed_modules(db):
    from odoo.sql_db import db_connect

    with db_connect(db).cursor() as cr:
        cr.execute("SELECT name, latest_version FROM ir_module_module WHERE state = 'installed'")
        return dict(cr.fetchall())


def filestore_entries(root):
    """(relative path, sha256) of the files under ``root``, and their total size."""
    entries, size = [], 0
    if root.is_dir():
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            with path.open("rb") as fh:
                sha, length = copy_hashed(fh, None)
            entries.append((path.relative_to(root).as_posix(), sha))
            size += length
    return entries, size


def verify_archive(path):
    """Read every member (zip CRCs) and check the manifest's checksums; the manifest."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise Failure(f"{path} is not a zip archive of a database ({exc})") from exc
    with archive:
        names = set(archive.namelist())
        if "dump.sql" not in names:
            raise Failure(f"{path} has no dump.sql: not an Odoo database archive")
        manifest = {}
        if "manifest.json" in names:
            try:
                manifest = json.loads(archive.read("manifest.json"))
            except ValueError as exc:
                raise Failure(f"{path} has a damaged manifest.json ({exc})") from exc
        shas, entries = {}, []
        try:
            for name in sorted(names):
                if name.endswith("/") or name == "manifest.json":
                    continue
                with archive.open(name) as member:
                    sha, _size = copy_hashed(member, None)
                if name.startswith("filestore/"):
                    entries.append((name.removeprefix("filestore/"), sha))
                else:
                    shas[name] = sha
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            raise Failure(f"{path} is damaged: {exc}") from exc
    expected = manifest.get("checksums")
    if not expected:
        say(
            f"{path.name}: no checksums in its manifest (not made by `make backup`):"
            " only the zip CRCs are checked"
        )
        return manifest
    found = {"dump.sql": shas["dump.sql"], "filestore": tree_digest(entries)}
    for key, value in found.items():
        if expected.get(key) != value:
            raise Failure(f"{path} is damaged: the checksum of {key} does not match its manifest")
    return manifest


def backup(args):
    from odoo.service.db import dump_db_manifest
    from odoo.sql_db import db_connect
    from odoo.tools import config
    from odoo.tools.misc import exec_pg_environ, find_pg_tool

    db = args.db
    if not database_exists(db):
        raise Failure(f"database {db} does not exist")
    out_dir = Path(args.dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    target = out_dir / f"{db}_{now.strftime(STAMP)}.zip"
    if target.exists():
        raise Failure(f"{target} already exists")
    partial = out_dir / f".{target.name}.partial"
    say(f"backing up database {db} and its filestore into {target}")
    try:
        with db_connect(db).cursor() as cr:
            manifest = dump_db_manifest(cr)
        with (
            tempfile.TemporaryDirectory() as tmp,
            zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive,
        ):
            dump = Path(tmp) / "dump.sql"
            proc = subprocess.run(
                [find_pg_tool("pg_dump"), "--no-owner", f"--file={dump}", db],
                env=exec_pg_environ(),
                capture_output=True,
                text=True,
                check=False,
            )
            if proc.returncode:
                raise Failure(f"pg_dump of {db} failed:\n{proc.stderr}")
            info = zipfile.ZipInfo("dump.sql", now.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            with dump.open("rb") as source, archive.open(info, "w") as member:
                dump_sha, _size = copy_hashed(source, member)
            entries, size = [], 0
            root = Path(config.filestore(db))
            for path in sorted(p for p in root.rglob("*") if p.is_file()) if root.is_dir() else ():
                rel = path.relative_to(root).as_posix()
                try:
                    info = zipfile.ZipInfo.from_file(path, f"filestore/{rel}")
                    source = path.open("rb")
                except FileNotFoundError:  # removed by the attachments' garbage collector
                    continue
                info.compress_type = zipfile.ZIP_DEFLATED
                with source, archive.open(info, "w") as member:
                    sha, length = copy_hashed(source, member)
                entries.append((rel, sha))
                size += length
            manifest.update(
                created=now.isoformat(timespec="seconds"),
                module_version=manifest["modules"].get(MODULE),
                filestore_files=len(entries),
                filestore_bytes=size,
                checksums={"dump.sql": dump_sha, "filestore": tree_digest(entries)},
            )
            archive.writestr("manifest.json", json.dumps(manifest, indent=4))
        verify_archive(partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    with target.open("rb") as fh:
        archive_sha, archive_size = copy_hashed(fh, None)
    target.with_name(target.name + ".sha256").write_text(f"{archive_sha}  {target.name}\n")
    say(
        f"done: {archive_size / 2**20:.1f} MiB, {len(entries)} filestore files,"
        f" {MODULE} {manifest['module_version']}, Odoo {manifest['version']}"
    )
    prune(out_dir, db, args.keep)
    print(target)


def prune(out_dir, db, keep):
    """Delete the archives of ``db`` older than the newest ``keep`` (0: keep all)."""
    if keep <= 0:
        return
    pattern = archive_name_pattern(db)
    archives = sorted(p for p in out_dir.iterdir() if pattern.fullmatch(p.name))
    for old in archives[:-keep]:
        old.unlink()
        old.with_name(old.name + ".sha256").unlink(missing_ok=True)
        say(f"retention (keep {keep}): deleted {old.name}")


def restore(args):
    import odoo.release
    from odoo.service import db as db_service
    from odoo.tools import config

    config["list_db"] = True  # restore_db and exp_drop are the database manager's functions
    path, db = Path(args.file), args.db
    if not path.is_file():
        raise Failure(f"no backup file {path}")
    manifest = verify_archive(path)
    major = manifest.get("major_version")
    if major and major != odoo.release.major_version:
        raise Failure(
            f"{path.name} is a backup of Odoo {major}, this is Odoo {odoo.release.major_version}:"
            f" restore it with Odoo {major} (then upgrade the database)"
        )
    created = f" of {manifest['created']}" if manifest.get("created") else ""
    version = manifest.get("module_version") or manifest.get("modules", {}).get(MODULE)
    say(f"{path.name}: database {manifest.get('db_name', '?')}{created}, {MODULE} {version}")
    filestore = Path(config.filestore(db))
    exists = database_exists(db)
    if exists or filestore.exists():
        what = f"database {db}" if exists else f"a filestore for {db} ({filestore})"
        if not args.force:
            raise Failure(
                f"{what} already exists: nothing restored, nothing changed. Restore into"
                f" another database (DB=new_name), or set FORCE=1 to drop {db} and its"
                " filestore and replace them with the backup."
            )
        say(f"FORCE: dropping database {db} and its filestore")
        if exists:
            db_service.exp_drop(db)
        shutil.rmtree(filestore, ignore_errors=True)
    say(f"restoring into database {db}" + (" (neutralized test copy)" if args.neutralize else ""))
    try:
        db_service.restore_db(
            db, str(path), copy=args.neutralize, neutralize_database=args.neutralize
        )
    except Exception as exc:
        if database_exists(db):
            db_service.exp_drop(db)
        raise Failure(f"the restore into {db} failed, {db} dropped again: {exc}") from exc
    problems = []
    if manifest.get("modules") and installed_modules(db) != manifest["modules"]:
        problems.append("its installed modules differ from the manifest's")
    expected = manifest.get("checksums", {}).get("filestore")
    if expected and tree_digest(filestore_entries(filestore)[0]) != expected:
        problems.append("its filestore differs from the archive's")
    if problems:
        raise Failure(f"database {db} was restored but {' and '.join(problems)}: check it")
    say(f"restored: database {db}, filestore {filestore}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True, help="the Odoo configuration file")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("backup", help="back up DB into DIR")
    make.add_argument("db")
    make.add_argument("--dir", default="backups")
    make.add_argument("--keep", type=int, default=14, help="archives of DB to keep (0: all)")
    load = commands.add_parser("restore", help="restore FILE into DB")
    load.add_argument("file")
    load.add_argument("db")
    load.add_argument("--force", action="store_true", help="drop DB first if it exists")
    load.add_argument("--neutralize", action="store_true", help="a test copy (odoo neutralize)")
    args = parser.parse_args()

    from odoo.tools import config

    config.parse_config(["-c", args.config, "--log-level=warn"], setup_logging=True)
    try:
        if args.command == "backup":
            backup(args)
        else:
            restore(args)
    except Failure as exc:
        print(f"\n[backup] ERROR: {exc}\n", file=sys.stderr, flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
