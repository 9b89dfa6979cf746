// Package deploy holds no Go code of the program: it is the home of the
// files that install and watch Tipline on a server (the systemd unit, the
// environment file, the Debian maintainer scripts, Prometheus alert rules,
// the Dockerfile and compose file) and of the tests that build the .deb
// with scripts/build-deb and check every one of them with the tools an
// operator's machine has: dpkg-deb, systemd-analyze, promtool and
// docker-compose.
package deploy
