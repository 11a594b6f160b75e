// The ceph.conf of one throwaway cluster; every path lives under its data folder.
// Why each setting is there: the comments below and README.md.

/** First line of every ceph.conf written here; stop() deletes only folders that have it. */
export const MARKER = "# written by @localex/local-s3"

/**
 * @param {{ dir: string, fsid: string, monPort: number, rgwPort: number, memstoreBytes: number }} cluster
 */
export const cephConf = ({ dir, fsid, monPort, rgwPort, memstoreBytes }) => `${MARKER}
[global]
fsid = ${fsid}
mon host = [v2:127.0.0.1:${monPort}]
mon initial members = a
public addr = 127.0.0.1
ms bind ipv6 = false
# A throwaway cluster on loopback: no cephx keys to hand around.
auth cluster required = none
auth service required = none
auth client required = none
keyring = ${dir}/keyring
run dir = ${dir}/run
admin socket = ${dir}/run/$name.asok
pid file = ${dir}/run/$name.pid
log file = ${dir}/log/$name.log
mon cluster log file = ${dir}/log/cluster.$channel.log
crash dir = ${dir}/crash
# Data in RAM, up to this many bytes (4 GiB by default: 256 MiB benchmarks plus copies fit).
osd objectstore = memstore
memstore device bytes = ${memstoreBytes}
# One OSD: one replica, few placement groups, none of the checks made for real clusters.
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon max pg per osd = 1000
# A nearly full disk (CI) must not stop the monitor.
mon data avail crit = 0

[mon]
mon data = ${dir}/mon/ceph-$id
# Commit monitor changes at once: start-up falls from ~15 s to ~1.5 s.
paxos propose interval = 0.05
paxos min wait = 0.01

[osd]
osd data = ${dir}/osd/ceph-$id

[client]
# A client whose op finds no OSD for its PG (the OSD is still booting) asks for a newer OSD map
# on this tick; the default (5 s) would make radosgw-admin wait that long at start-up.
objecter tick interval = 0.1
# A lifecycle "day" lasts 10 s. Here, not in the gateway's section, so that
# \`radosgw-admin lc process\` (which runs the rules at once) counts days the same way.
rgw lc debug interval = 10
# Collect the tails of deleted objects after seconds, not hours, so memstore RAM is given back.
rgw gc obj min wait = 10
rgw gc processor period = 10
rgw gc processor max time = 10

[client.admin]
# The ceph CLI and radosgw-admin may run concurrently: no shared admin socket.
admin socket =

[client.rgw.a]
# Without it the gateway hangs at start.
ms mon client mode = crc secure
# tcp_nodelay: beast writes a response's headers and body separately; with Nagle on, a reused
# connection waits for the client's delayed ACK (~40 ms) before the body goes out.
rgw frontends = beast endpoint=127.0.0.1:${rgwPort} tcp_nodelay=1
rgw crypt require ssl = false
rgw enable usage log = true
`
