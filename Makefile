# delivery_crm — the two commands of the quick start are `make run` and `make test`.
# Each does its own set-up (tools/dev.sh): Python 3.12 venv, Odoo 19, requirements,
# PostgreSQL, database. Variables: see README.md.
.PHONY: run test test-odoo lint bench setup shell clean

run:            ## serve Odoo with delivery_crm and demo data on http://localhost:8069
	@tools/dev.sh run

test:           ## fresh database, install the module, run the whole suite with pytest-odoo
	@tools/dev.sh test $(PYTEST_ARGS)

test-odoo:      ## the module's tests under Odoo's own runner (--test-enable)
	@tools/dev.sh test-odoo

.PHONY: reliability
reliability:    ## fault and load tests at full length (LOAD_CLIENTS=20 LOAD_SECONDS=60 ...)
	@tools/dev.sh reliability $(PYTEST_ARGS)

bench:          ## quarterly evaluation over 100k customers / 2M deliveries (BENCH_CUSTOMERS=...)
	@tools/dev.sh bench

.PHONY: screenshots
screenshots:    ## docs/screenshots/*.png: key screens at desktop and phone size (fresh demo database)
	@tools/dev.sh screenshots

.PHONY: backup restore
backup:         ## zip of DB (delivery_crm) + its filestore into backups/ (BACKUP_DIR, BACKUP_KEEP=14)
	@tools/dev.sh backup

restore:        ## FILE=backups/<db>_<date>.zip into DB (FORCE=1 replaces it, NEUTRALIZE=1 test copy)
	@tools/dev.sh restore

lint:           ## ruff, pylint-odoo, oca-checks-odoo-module, oca-checks-po: zero findings
	@tools/dev.sh lint

setup:          ## only the set-up steps
	@tools/dev.sh setup

shell:          ## odoo shell on the run database
	@tools/dev.sh odoo shell -d $${DB:-delivery_crm}

clean:          ## remove the venvs and local state (databases are kept)
	rm -rf .venv .venv-lint .local
