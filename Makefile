# imagegen-operator — build, test and run. `make help` lists the targets.

# Image URL to use for building and pushing the manager image.
IMG ?= imagegen-operator:latest
# Version of the envtest control plane, built from source by hack/setup-envtest.sh.
ENVTEST_K8S_VERSION ?= 1.37.2
CONTROLLER_TOOLS_VERSION ?= v0.23.0
# golangci-lint v2, built from the Go module proxy (newest release that builds with our Go).
GOLANGCI_LINT_VERSION ?= v2.15.0
# SeaweedFS, the tests' S3 server, built from source by hack/setup-seaweedfs.sh.
SEAWEEDFS_VERSION ?= v0.0.0-20261109003541-7506e5f91cd6

GOOS := $(shell go env GOOS)
GOARCH := $(shell go env GOARCH)
LOCALBIN ?= $(CURDIR)/bin
ENVTEST_ASSETS ?= $(LOCALBIN)/k8s/$(ENVTEST_K8S_VERSION)-$(GOOS)-$(GOARCH)
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
SEAWEEDFS_BIN ?= $(LOCALBIN)/seaweedfs/$(SEAWEEDFS_VERSION)/weed
# The versioned file name is the cache key: bumping GOLANGCI_LINT_VERSION builds the new one.
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint-$(GOLANGCI_LINT_VERSION)
# kubectl on PATH, else the one hack/setup-envtest.sh builds.
KUBECTL ?= $(shell command -v kubectl 2>/dev/null || echo $(ENVTEST_ASSETS)/kubectl)
CONTAINER_TOOL ?= docker
# Extra flags for `go test`, e.g. TEST_FLAGS='-run TestX -v'.
TEST_FLAGS ?=
# Extra flags for golangci-lint, e.g. LINT_FLAGS='--fix' or LINT_FLAGS='--concurrency=1'.
LINT_FLAGS ?=

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate the CRD and RBAC manifests under config/.
	$(CONTROLLER_GEN) rbac:roleName=manager-role crd paths="./..." output:crd:artifacts:config=config/crd/bases

.PHONY: generate
generate: controller-gen ## Generate DeepCopy methods.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./..."

.PHONY: fmt
fmt: ## Run go fmt.
	go fmt ./...

.PHONY: vet
vet: ## Run go vet.
	go vet ./...

.PHONY: lint
lint: golangci-lint ## Run golangci-lint with .golangci.yml (builds it into bin/ first if needed).
	$(GOLANGCI_LINT) run ./... $(LINT_FLAGS)

.PHONY: test
test: manifests generate setup-envtest setup-seaweedfs ## Run all tests against a local envtest control plane, the Images API simulator and a SeaweedFS S3 server.
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" SEAWEEDFS_BIN="$(SEAWEEDFS_BIN)" go test ./... $(TEST_FLAGS)
	go test ./internal/imagecheck -run '^$$' -fuzz '^FuzzCheckEdit$$' -fuzztime 10s
	go test ./internal/imagecheck -run '^$$' -fuzz '^FuzzCheckEditInputs$$' -fuzztime 10s

.PHONY: dev
dev: manifests generate setup-envtest ## Run a local control plane, the CRDs, the simulator, an artifact store and the operator (default model gpt-image-2; Ctrl-C stops all).
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go run ./hack/dev $(DEV_FLAGS)

.PHONY: simulator
simulator: ## Run the Images API simulator (DALL-E 2 and the GPT image models, realistic latencies) alone on 127.0.0.1:8089.
	go run ./hack/dallesim --listen 127.0.0.1:8089 $(SIM_FLAGS)

.PHONY: bench
bench: build setup-envtest ## Measure latency, throughput and manager memory on every path (see docs/performance.md).
	KUBEBUILDER_ASSETS="$(ENVTEST_ASSETS)" go run ./test/bench --manager $(LOCALBIN)/manager $(BENCH_FLAGS)

.PHONY: bench-quick
bench-quick: ## The benchmark's quick subset (under two minutes).
	$(MAKE) bench BENCH_FLAGS="--quick $(BENCH_FLAGS)"

##@ Build

.PHONY: build
build: manifests generate ## Build the manager binary into bin/manager.
	go build -o $(LOCALBIN)/manager ./cmd

.PHONY: run
run: manifests generate ## Run the manager from your host against the current kubeconfig.
	go run ./cmd $(RUN_FLAGS)

.PHONY: docker-build
docker-build: ## Build the manager container image.
	$(CONTAINER_TOOL) build -t $(IMG) .

##@ Deployment

.PHONY: install
install: manifests ## Install the CRDs into the cluster of the current kubeconfig.
	$(KUBECTL) apply -k config/crd

.PHONY: uninstall
uninstall: manifests ## Remove the CRDs from the cluster of the current kubeconfig.
	$(KUBECTL) delete --ignore-not-found -k config/crd

.PHONY: deploy
deploy: manifests ## Deploy the operator (CRDs, RBAC, Deployment, MCP Service) with image $(IMG).
	$(KUBECTL) kustomize config/default | sed 's|image: imagegen-operator:latest|image: $(IMG)|' | $(KUBECTL) apply -f -

.PHONY: undeploy
undeploy: ## Remove the operator from the cluster.
	$(KUBECTL) delete --ignore-not-found -k config/default

##@ Tools

.PHONY: setup-envtest
setup-envtest: ## Build kube-apiserver, etcd and kubectl from source into bin/k8s/ (once; cached).
	@bash hack/setup-envtest.sh >/dev/null

.PHONY: setup-seaweedfs
setup-seaweedfs: ## Build SeaweedFS's weed (the tests' S3 server) from source into bin/seaweedfs/ (once; cached).
	@SEAWEEDFS_VERSION=$(SEAWEEDFS_VERSION) bash hack/setup-seaweedfs.sh >/dev/null

.PHONY: controller-gen
controller-gen: $(CONTROLLER_GEN) ## Install controller-gen into bin/.
$(CONTROLLER_GEN):
	GOBIN=$(LOCALBIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_TOOLS_VERSION)

.PHONY: golangci-lint
golangci-lint: $(GOLANGCI_LINT) ## Build golangci-lint from source into bin/ (once per version; cached).
$(GOLANGCI_LINT):
	@rm -rf $(LOCALBIN)/.golangci-lint.tmp
	GOBIN=$(LOCALBIN)/.golangci-lint.tmp go install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION)
	mv $(LOCALBIN)/.golangci-lint.tmp/golangci-lint $@
	@rm -rf $(LOCALBIN)/.golangci-lint.tmp
	ln -sf $(notdir $@) $(LOCALBIN)/golangci-lint
