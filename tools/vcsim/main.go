// vcsim for netweave's tests: VMware's vCenter simulator (the govmomi simulator package, VPX model) served
// over TLS on the given address, with the inventory sizes as flags. The upstream vcsim command is a nested
// module the Go proxy does not serve, so this small main wraps the same package at the pinned version.
package main

import (
	"crypto/tls"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"os/signal"
	"syscall"

	"github.com/vmware/govmomi/simulator"
	_ "github.com/vmware/govmomi/vapi/simulator"
)

func main() {
	model := simulator.VPX()
	listen := flag.String("l", "127.0.0.1:0", "listen address")
	flag.IntVar(&model.Datacenter, "dc", model.Datacenter, "datacenters")
	flag.IntVar(&model.Cluster, "cluster", model.Cluster, "clusters per datacenter")
	flag.IntVar(&model.ClusterHost, "host", model.ClusterHost, "hosts per cluster")
	flag.IntVar(&model.Host, "standalone-host", model.Host, "standalone hosts per datacenter")
	flag.IntVar(&model.Pool, "pool", model.Pool, "resource pools per cluster")
	flag.IntVar(&model.Machine, "vm", model.Machine, "virtual machines per resource pool")
	flag.IntVar(&model.Folder, "folder", model.Folder, "folders")
	user := flag.String("username", "user", "login user name")
	password := flag.String("password", "pass", "login password")
	flag.Parse()

	defer model.Remove()
	if err := model.Create(); err != nil {
		log.Fatal(err)
	}
	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*user, *password)}
	model.Service.TLS = new(tls.Config)
	server := model.Service.NewServer()
	defer server.Close()
	cert, err := server.CertificateFile()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("VCSIM_URL=%s\n", server.URL)
	fmt.Printf("VCSIM_CERT=%s\n", cert)
	os.Stdout.Sync()
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
}
