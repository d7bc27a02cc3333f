"""`make backup` / `make restore` (tools/dev.sh backup|restore): a database with the demo
data and an attachment, backed up and restored into another database, comes back with the
same records and the same file bytes; the archive is Odoo's database manager format;
restoring onto an existing database is refused without FORCE=1 and leaves it untouched;
FORCE=1 NEUTRALIZE=1 replaces a database with a neutralized copy; a damaged archive is
refused before anything is created; retention keeps the newest BACKUP_KEEP archives."""

import base64
import configparser
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import CONF, ROOT, drop_database, fresh_database, run_odoo

SOURCE = f"delivery_crm_bk_{os.getpid()}"
COPY = f"{SOURCE}_copy"
FORCED = f"{SOURCE}_forced"
DAMAGED = f"{SOURCE}_damaged"
PAYLOAD = b"delivery_crm backup test\n" + os.urandom(20000) + bytes(range(256))

ADD_ATTACHMENT = f"""
import base64
env['ir.attachment'].create({{
    'name': 'backup-test.bin',
    'raw': base64.b64decode({base64.b64encode(PAYLOAD).decode()!r}),
}})
env.cr.commit()
"""

SNAPSHOT = """
import json
import base64
param = env['ir.config_parameter'].sudo().get_param
all_records = {'active_test': False}
attachment = env['ir.attachment'].search([('name', '=', 'backup-test.bin')])
print('RESULT' + json.dumps({
    'partners': env['res.partner'].with_context(**all_records).search_count([]),
    'complaints': env['delivery.complaint'].with_context(**all_records).search_count([]),
    'visits': env['delivery.visit'].with_context(**all_records).search_count([]),
    'after_backup': env['res.partner'].search_count([('name', '=', 'Created after the backup')]),
    'store_fname': attachment.store_fname,
    'raw': base64.b64encode(attachment.raw or b'').decode(),
    'uuid': param('database.uuid'),
    'neutralized': param('database.is_neutralized'),
}))
"""


def filestore(db):
    config = configparser.ConfigParser()
    config.read(CONF)
    return Path(config.get("options", "data_dir")) / "filestore" / db


def database_exists(db):
    out = subprocess.run(
        ["psql", "-d", "postgres", "-Atqc", f"SELECT 1 FROM pg_database WHERE datname = '{db}'"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.strip() == "1"


def shell(db, script):
    out = run_odoo("shell", "-d", db, "--log-level=warn", "--no-http", stdin=script)
    lines = [line for line in out.splitlines() if line.startswith("RESULT")]
    return json.loads(lines[-1][len("RESULT") :]) if lines else None


def dev(command, **env):
    """tools/dev.sh backup|restore with these variables (and none of the caller's)."""
    variables = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DB", "FILE", "FORCE", "NEUTRALIZE", "BACKUP_DIR", "BACKUP_KEEP"}
    }
    return subprocess.run(
        [str(ROOT / "tools" / "dev.sh"), command],
        env={**variables, **env},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def drop(db):
    drop_database(db)
    shutil.rmtree(filestore(db), ignore_errors=True)


@pytest.fixture(scope="module")
def source():
    """A database with delivery_crm, its demo data and an attachment of known bytes."""
    try:
        fresh_database(SOURCE, "delivery_crm", "--with-demo")
        shell(SOURCE, ADD_ATTACHMENT)
        yield shell(SOURCE, SNAPSHOT)
    finally:
        for db in (SOURCE, COPY, FORCED, DAMAGED):
            drop(db)


@pytest.fixture(scope="module")
def backup_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("backups")


@pytest.fixture(scope="module")
def archive(source, backup_dir):
    # older archives of the same database, and of another one with the same prefix
    for stamp in ("2001-01-01_00-00-00", "2002-01-01_00-00-00", "2003-01-01_00-00-00"):
        (backup_dir / f"{SOURCE}_{stamp}.zip").write_bytes(b"old")
        (backup_dir / f"{SOURCE}_{stamp}.zip.sha256").write_text("old")
        (backup_dir / f"{SOURCE}_other_{stamp}.zip").write_bytes(b"other database")
    proc = dev("backup", DB=SOURCE, BACKUP_DIR=str(backup_dir), BACKUP_KEEP="2")
    assert proc.returncode == 0, proc.stderr
    path = Path(proc.stdout.strip().splitlines()[-1])
    assert path.parent == backup_dir and path.name.startswith(f"{SOURCE}_20")
    return path


def test_source_has_demo_data_and_a_stored_file(source):
    assert source["partners"] > 0 and source["complaints"] > 0 and source["visits"] > 0
    assert base64.b64decode(source["raw"]) == PAYLOAD
    assert (filestore(SOURCE) / source["store_fname"]).read_bytes() == PAYLOAD


def test_archive_is_odoo_database_manager_zip(source, archive, backup_dir):
    with zipfile.ZipFile(archive) as zf:
        names = zf.namelist()
        assert "dump.sql" in names and "manifest.json" in names
        assert zf.read(f"filestore/{source['store_fname']}") == PAYLOAD
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["odoo_dump"] == "1"
    assert manifest["db_name"] == SOURCE
    assert manifest["major_version"] == "19.0"
    assert manifest["module_version"] == manifest["modules"]["delivery_crm"]
    assert manifest["created"]
    assert set(manifest["checksums"]) == {"dump.sql", "filestore"}
    assert manifest["filestore_files"] == sum(n.startswith("filestore/") for n in names)
    # `sha256sum -c` checks the archive
    check = subprocess.run(
        ["sha256sum", "-c", f"{archive.name}.sha256"],
        cwd=backup_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    # retention: the newest 2 archives of the database are kept, another database's stay
    assert sorted(p.name for p in backup_dir.glob(f"{SOURCE}_20*.zip")) == [
        f"{SOURCE}_2003-01-01_00-00-00.zip",
        archive.name,
    ]
    assert not (backup_dir / f"{SOURCE}_2001-01-01_00-00-00.zip.sha256").exists()
    assert len(list(backup_dir.glob(f"{SOURCE}_other_*.zip"))) == 3


def test_restore_round_trips_records_and_files(source, archive):
    proc = dev("restore", DB=COPY, FILE=str(archive))
    assert proc.returncode == 0, proc.stderr
    restored = shell(COPY, SNAPSHOT)
    # a real restore: the same records, the same file bytes, the same database identity
    assert restored == source
    assert base64.b64decode(restored["raw"]) == PAYLOAD
    assert (filestore(COPY) / source["store_fname"]).read_bytes() == PAYLOAD


def test_restore_onto_existing_database_is_refused(source, archive):
    run_odoo(
        "shell",
        "-d",
        SOURCE,
        "--log-level=warn",
        "--no-http",
        stdin="env['res.partner'].create({'name': 'Created after the backup'})\nenv.cr.commit()\n",
    )
    before = shell(SOURCE, SNAPSHOT)
    assert before["after_backup"] == 1 and before["partners"] == source["partners"] + 1
    proc = dev("restore", DB=SOURCE, FILE=str(archive))
    assert proc.returncode != 0
    assert f"database {SOURCE} already exists" in proc.stderr
    assert "FORCE=1" in proc.stderr
    assert shell(SOURCE, SNAPSHOT) == before
    # and without FILE: a usage message
    usage = dev("restore", DB=SOURCE)
    assert usage.returncode != 0 and "FILE=" in usage.stderr


def test_force_neutralize_replaces_a_database_with_a_test_copy(source, archive):
    subprocess.run(["createdb", FORCED], check=True)
    stale = filestore(FORCED) / "stale" / "file"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"not from the backup")
    proc = dev("restore", DB=FORCED, FILE=str(archive), FORCE="1", NEUTRALIZE="1")
    assert proc.returncode == 0, proc.stderr
    copy = shell(FORCED, SNAPSHOT)
    for key in ("partners", "complaints", "visits", "store_fname", "raw"):
        assert copy[key] == source[key], key
    assert copy["neutralized"] == "true" and source["neutralized"] is False
    assert copy["uuid"] != source["uuid"]  # a copy, not the same database
    assert not stale.exists()


def test_damaged_archive_is_refused(archive, tmp_path):
    damaged = tmp_path / archive.name
    with zipfile.ZipFile(archive) as good, zipfile.ZipFile(damaged, "w") as bad:
        for info in good.infolist():
            data = good.read(info)
            if info.filename == "dump.sql":
                data += b"\n-- one more line\n"
            bad.writestr(info, data)
    proc = dev("restore", DB=DAMAGED, FILE=str(damaged))
    assert proc.returncode != 0
    assert "checksum of dump.sql does not match" in proc.stderr
    assert not database_exists(DAMAGED)
    assert not filestore(DAMAGED).exists()
