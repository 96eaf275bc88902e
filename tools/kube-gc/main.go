// Command kube-gc runs Kubernetes' own garbage collector (k8s.io/kubernetes/pkg/controller/garbagecollector, the
// controller kube-controller-manager runs as "garbagecollector") against the API server its --kubeconfig names,
// and nothing else: the test harness has no kube-controller-manager, and Crossplane relies on this collector to
// delete what an XR composed and the connection secrets it and its claim own (tests/crossplane_harness.py).
// The wiring is kube-controller-manager's (cmd/kube-controller-manager/app/core.go); kube-controller-manager
// itself does not build in tools/kube (kubelet and cadvisor dependencies the module does not carry).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/metadata/metadatainformer"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/controller-manager/pkg/informerfactory"
	"k8s.io/klog/v2"
	"k8s.io/kubernetes/pkg/controller/garbagecollector"
)

func main() {
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the API server")
	workers := flag.Int("workers", 5, "concurrent deletions (kube-controller-manager's --concurrent-gc-syncs)")
	period := flag.Duration("sync-period", 5*time.Second, "how often discovery is re-read for new resource types")
	version := flag.Bool("version", false, "print the Kubernetes version this was built from and quit")
	klog.InitFlags(nil)
	flag.Parse()
	if *version {
		fmt.Println(buildVersion)
		return
	}
	if err := run(*kubeconfig, *workers, *period); err != nil {
		fmt.Fprintln(os.Stderr, "kube-gc:", err)
		os.Exit(1)
	}
}

// buildVersion is set with -ldflags -X (scripts/backends.py) to the pinned k8s.io/kubernetes version.
var buildVersion = "unknown"

func run(kubeconfig string, workers int, period time.Duration) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	config, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		return err
	}
	metadataClient, err := metadata.NewForConfig(config)
	if err != nil {
		return err
	}
	discoveryClient, err := discovery.NewDiscoveryClientForConfig(config)
	if err != nil {
		return err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(discoveryClient))
	typed := informers.NewSharedInformerFactory(client, 0)
	untyped := metadatainformer.NewSharedInformerFactory(metadataClient, 0)
	started := make(chan struct{})
	// kube-controller-manager's default: events are never collected.
	ignored := map[schema.GroupResource]struct{}{{Group: "", Resource: "events"}: {}, {Group: "events.k8s.io", Resource: "events"}: {}}
	gc, err := garbagecollector.NewGarbageCollector(
		ctx, client, metadataClient, mapper, ignored, informerfactory.NewInformerFactory(typed, untyped), started,
	)
	if err != nil {
		return err
	}
	typed.Start(ctx.Done())
	untyped.Start(ctx.Done())
	close(started)
	go gc.Sync(ctx, discoveryClient, period)
	gc.Run(ctx, workers, 30*time.Second)
	return nil
}
