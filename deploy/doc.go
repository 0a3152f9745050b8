// Package deploy holds the tests of pixmill's deployment files: the Helm
// chart (helm/pixmill), the Grafana dashboard (grafana/) and the Prometheus
// rules (prometheus/). It is a module of its own so that the Kubernetes API
// types and the Prometheus rule parser these tests need stay out of the
// server's go.mod: `make chart-test` and `make monitoring-test` run them.
package deploy
