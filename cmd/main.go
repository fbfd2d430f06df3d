// Command manager runs the imagegen-operator: the ImageRequest controller
// (leader only) and, from the MCP issue on, the MCP and REST server (every
// replica).
package main

import (
	"flag"
	"os"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"

	"github.com/imagegen/imagegen-operator/internal/manager"
)

func main() {
	var opts manager.Options
	opts.BindFlags(flag.CommandLine)
	zapOpts := zap.Options{Development: false}
	zapOpts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&zapOpts)))
	log := ctrl.Log.WithName("setup")

	cfg, err := ctrl.GetConfig()
	if err != nil {
		log.Error(err, "loading kubeconfig")
		os.Exit(1)
	}
	if err := manager.Run(ctrl.SetupSignalHandler(), cfg, opts); err != nil {
		log.Error(err, "manager exited")
		os.Exit(1)
	}
}
