#!/usr/bin/env bash
# A fleet of test machines for agency: each node is a network namespace with its own veth link to the
# host, its own Unix user and its own OpenSSH server. Nothing leaves the host: each namespace only has a
# route to its /24 (its gateway on the host), IP forwarding is never touched, and an `unreachable` guard
# route per node keeps traffic for a cut node off the host's default route.
#
#   fleet.sh up N [--no-streamlocal i,j] [--no-node i,j] [--disk-full i,j] [--behind i:j,k:l] [--env-file F]
#   fleet.sh down
#   fleet.sh cut I | restore I
#   fleet.sh relay I PORT
#   fleet.sh known-hosts | info
# Options for every command: --prefix P (default agt), --subnet A.B (default 10.201),
# --state-dir D (default /tmp/agency-fleet-P). The subnet is remembered in the state dir by `up`.
#
# Node i: namespace Pn<i>, host-side veth Ph<i> = A.B.i.1/24, namespace eth0 = A.B.i.2/24, user Pu<i>
# with home /home/Pu<i>, sshd on A.B.i.2:22 logging to STATE/nodes/n<i>/sshd.log.
# A node i `--behind` node j has no link to the host: its eth0 pairs with link Pb<i> in namespace Pn<j>
# (A.B.i.1/24 there), so only node j reaches it (ssh -J, or direct-tcpip through node j's sshd), and the
# host's guard route keeps the host from trying. `relay I PORT` forwards A.B.i.1:PORT in node j's
# namespace to the host's A.B.j.1:PORT (socat), for a server node i must reach.
set -euo pipefail
umask 022                           # node users read their bin/ and the authorized keys under the state dir

readonly SSHD=/usr/sbin/sshd
readonly GUARD_METRIC=4201          # metric of the per-node `unreachable` guard route
readonly WAIT_SECONDS=20            # how long one sshd may take to answer
readonly MARK='agency-fleet test user'
# what a --no-node user finds on PATH (everything a bootstrap needs except node)
readonly NO_NODE_TOOLS='sh bash env tar gzip df mkdir rm mv ln cat printf uname sha256sum id kill setsid
  nohup sleep git tail head chmod cp ls grep sed touch stat wc tr cut dirname basename readlink test true false
  getconf ldd bwrap socat tee ps git-receive-pack git-upload-pack'

die() { echo "fleet.sh: $*" >&2; exit 1; }
log() { echo "fleet.sh: $*" >&2; }

PREFIX=agt SUBNET='' STATE='' ENV_FILE=''
NO_STREAMLOCAL=',,' NO_NODE=',,' DISK_FULL=',,' BEHIND=''
ARGS=()
while (($#)); do
  case $1 in
    --prefix) PREFIX=${2:?--prefix needs a value}; shift 2 ;;
    --subnet) SUBNET=${2:?--subnet needs a value}; shift 2 ;;
    --state-dir) STATE=${2:?--state-dir needs a value}; shift 2 ;;
    --env-file) ENV_FILE=${2:?--env-file needs a file}; shift 2 ;;
    --no-streamlocal) NO_STREAMLOCAL=",${2:?--no-streamlocal needs i,j},"; shift 2 ;;
    --no-node) NO_NODE=",${2:?--no-node needs i,j},"; shift 2 ;;
    --disk-full) DISK_FULL=",${2:?--disk-full needs i,j},"; shift 2 ;;
    --behind) BEHIND=${2:?--behind needs i:j (node i reached only through node j)}; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    --*) die "unknown option $1 (see --help)" ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
[[ $PREFIX =~ ^[a-z][a-z0-9]{0,9}$ ]] || die "--prefix '$PREFIX' must be 1-10 of [a-z0-9], starting with a letter (interface names are at most 15 characters)"
STATE=${STATE:-/tmp/agency-fleet-$PREFIX}
[[ $STATE == /* ]] || die "--state-dir must be absolute: $STATE"
UP_SUBNET=''
[[ ! -r $STATE/fleet.env ]] || UP_SUBNET=$(sed -n 's/^SUBNET=//p' "$STATE/fleet.env")
[[ -z $SUBNET || -z $UP_SUBNET || $SUBNET == "$UP_SUBNET" ]] \
  || die "the fleet '$PREFIX' is up on subnet $UP_SUBNET, not $SUBNET: run 'fleet.sh down --prefix $PREFIX' first"
SUBNET=${SUBNET:-${UP_SUBNET:-10.201}}
# the nodes behind others are the fleet's own: given to `up`, remembered for the other commands
if [[ ${ARGS[0]:-} != up && -z $BEHIND && -r $STATE/fleet.env ]]; then BEHIND=$(sed -n 's/^BEHIND=//p' "$STATE/fleet.env"); fi
[[ -z $BEHIND || $BEHIND =~ ^[0-9]+:[0-9]+(,[0-9]+:[0-9]+)*$ ]] || die "--behind takes i:j pairs, comma-separated, got '$BEHIND'"
declare -A VIA=()
if [[ -n $BEHIND ]]; then
  for pair in ${BEHIND//,/ }; do VIA[${pair%%:*}]=${pair##*:}; done
  for i in "${!VIA[@]}"; do
    [[ $i != "${VIA[$i]}" ]] || die "--behind $i:$i: a node cannot be behind itself"
    [[ -z ${VIA[${VIA[$i]}]:-} ]] || die "--behind $i:${VIA[$i]}: node ${VIA[$i]} is itself behind another node"
  done
fi
[[ $SUBNET =~ ^(10|172|192)\.[0-9]{1,3}$ ]] || die "--subnet '$SUBNET' must be the first two octets of a private range, like 10.201"
for list in "$NO_STREAMLOCAL" "$NO_NODE" "$DISK_FULL"; do
  [[ $list == ,, || $list =~ ^,[0-9]+(,[0-9]+)*,$ ]] || die "node lists are comma-separated numbers, got '${list:1:${#list}-2}'"
done

has() { [[ $2 == *",$1,"* ]]; }             # has I LIST
ns() { echo "${PREFIX}n$1"; }
veth() { echo "${PREFIX}h$1"; }
bveth() { echo "${PREFIX}b$1"; }         # node i's link in the namespace of the node it is behind
via() { echo "${VIA[$1]:-}"; }
user() { echo "${PREFIX}u$1"; }
home() { echo "/home/${PREFIX}u$1"; }
ndir() { echo "$STATE/nodes/n$1"; }
addr() { echo "$SUBNET.$1.2"; }
gw() { echo "$SUBNET.$1.1"; }
now_ms() { local t=${EPOCHREALTIME/./}; echo $((10#$t / 1000)); }

# One fleet.sh at a time changes the machine (useradd/userdel share /etc/passwd's lock; the same prefix
# must not be brought up twice at once). The lock is the script file itself: nothing is left behind.
exec 9<"$0"
flock -w 300 9 || die "another fleet.sh has held the lock for 5 minutes"

ours() { [[ $(getent passwd "$1" | cut -d: -f5) == "$MARK ($PREFIX)" ]]; }

# indices of every node that exists in any form (state dir, namespace, link, user): `down` after a
# partial `up` must find them all
known_nodes() {
  {
    [[ -d $STATE/nodes ]] && find "$STATE/nodes" -mindepth 1 -maxdepth 1 -name 'n*' -printf '%f\n' | sed -n 's/^n\([0-9]\+\)$/\1/p'
    [[ -d /run/netns ]] && find /run/netns -mindepth 1 -maxdepth 1 -printf '%f\n' | sed -n "s/^${PREFIX}n\([0-9]\+\)\$/\1/p"
    ip -o link show | sed -n "s/^[0-9]\+: ${PREFIX}h\([0-9]\+\)[@:].*/\1/p"
    getent passwd | cut -d: -f1 | sed -n "s/^${PREFIX}u\([0-9]\+\)\$/\1/p"
  } | sort -un
}

# the processes that belong to node i: its sshd (pid file), everything in its namespace, its user's
alive_pids() {
  local i=$1 p
  {
    if [[ -r $(ndir "$i")/sshd.pid ]]; then
      p=$(<"$(ndir "$i")/sshd.pid")
      [[ $p =~ ^[0-9]+$ && $(cat "/proc/$p/comm" 2>/dev/null) == sshd ]] && echo "$p"
    fi
    [[ -e /run/netns/$(ns "$i") ]] && ip netns pids "$(ns "$i")" 2>/dev/null
    if ours "$(user "$i")"; then ps -o pid= -u "$(user "$i")" 2>/dev/null; fi
  } | tr -d ' ' | grep -x '[0-9]\+' | sort -un || true
}

# a process that exists and is not a zombie (a zombie's parent may never reap it: PID 1 in a container)
running() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat:0:1} != Z ]]
}

# TERM, then KILL what is left; each wait polls for the processes to be gone, bounded in time
stop_pids() {
  local pids=("$@") sig left deadline
  ((${#pids[@]})) || return 0
  for sig in TERM KILL; do
    kill "-$sig" "${pids[@]}" 2>/dev/null || true
    deadline=$(($(now_ms) + 5000))
    while :; do
      left=()
      for p in "${pids[@]}"; do running "$p" && left+=("$p"); done
      ((${#left[@]})) || return 0
      (($(now_ms) < deadline)) || break
      sleep 0.02
    done
    pids=("${left[@]}")
  done
  die "processes ${pids[*]} would not die"
}

# the machine-wide part of node i (links, namespace, processes); users are removed by the caller
node_down_net() {
  local i=$1
  # shellcheck disable=SC2046
  stop_pids $(alive_pids "$i")
  ip link del "$(veth "$i")" 2>/dev/null || true          # takes the namespace end with it, synchronously
  ip netns del "$(ns "$i")" 2>/dev/null || true
  ip route del unreachable "$SUBNET.$i.0/24" metric "$GUARD_METRIC" 2>/dev/null || true
}

node_down_user() {
  local i=$1 u h
  u=$(user "$i") h=$(home "$i")
  # a second pass: processes a login started while the namespace was being removed
  # shellcheck disable=SC2046
  stop_pids $(alive_pids "$i")
  while mountpoint -q "$h"; do umount "$h"; done
  if getent passwd "$u" >/dev/null; then
    ours "$u" || die "user $u exists but was not made by fleet.sh; leaving it alone"
    userdel "$u" 2>/dev/null || userdel -f "$u"
  fi
  rm -rf -- "$h" "$(ndir "$i")"
}

# runs `fn i` for each listed node in parallel and fails if any of them failed
parallel() {
  local fn=$1 i rc=0; shift
  local -A jobs=()
  for i in "$@"; do "$fn" "$i" & jobs[$i]=$!; done
  for i in "${!jobs[@]}"; do wait "${jobs[$i]}" || { log "node $i: $fn failed"; rc=1; }; done
  return $rc
}

cmd_down() {
  local i nodes
  mapfile -t nodes < <(known_nodes)
  parallel node_down_net "${nodes[@]}"
  for i in "${nodes[@]}"; do node_down_user "$i"; done
  rm -rf -- "$STATE"
}

# --- up -------------------------------------------------------------------------------------------

node_up_user() {
  local i=$1 u h
  u=$(user "$i") h=$(home "$i")
  if getent passwd "$u" >/dev/null; then
    ours "$u" || die "user $u exists but was not made by fleet.sh; pick another --prefix"
  else
    useradd -M -d "$h" -s /bin/bash -c "$MARK ($PREFIX)" -p '*' -U "$u"   # '*': no password, not locked
  fi
  # a --disk-full home is a 512 KB tmpfs; a normal home is a plain folder (a change of flags is applied)
  if has "$i" "$DISK_FULL"; then
    mountpoint -q "$h" || { mkdir -p "$h"; mount -t tmpfs -o "size=512k,mode=0750,uid=$(id -u "$u"),gid=$(id -g "$u")" "fleet-$u" "$h"; }
  else
    while mountpoint -q "$h"; do umount "$h"; done
  fi
  install -d -m 0750 -o "$u" -g "$u" "$h" "$h/.agency"
  local f
  for f in .bashrc .bash_logout .profile; do install -m 0644 -o "$u" -g "$u" "/etc/skel/$f" "$h/$f"; done
  # /etc/profile resets PATH for login shells: give the --no-node user its own PATH there as well
  if has "$i" "$NO_NODE"; then printf 'PATH=%s\nexport PATH\n' "$(ndir "$i")/bin" >>"$h/.profile"; fi
  if [[ -n $ENV_FILE ]]; then
    install -m 0600 -o "$u" -g "$u" "$ENV_FILE" "$h/.agency/node.env"
  else
    install -m 0600 -o "$u" -g "$u" /dev/null "$h/.agency/node.env"
  fi
}

sshd_config() {
  local i=$1 d
  d=$(ndir "$i")
  cat <<EOF
# written by fleet.sh for node n$i ($(user "$i")); started with -f inside namespace $(ns "$i")
ListenAddress $(addr "$i"):22
HostKey $d/ssh_host_ed25519_key
PidFile $d/sshd.pid
AllowUsers $(user "$i")
AuthorizedKeysFile $STATE/authorized_keys
PubkeyAuthentication yes
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
StrictModes no
MaxSessions 10
AllowTcpForwarding yes
AllowStreamLocalForwarding $(has "$i" "$NO_STREAMLOCAL" && echo no || echo yes)
X11Forwarding no
PrintMotd no
PrintLastLog no
LogLevel VERBOSE
Subsystem sftp internal-sftp
EOF
  if has "$i" "$NO_NODE"; then echo "SetEnv PATH=$d/bin"; fi
}

# true once something at ADDR:22 sends an SSH banner; gives up after SECONDS; looks from namespace NS if given
wait_banner() {
  local host=$1 deadline line in=()
  [[ -z ${3:-} ]] || in=(ip netns exec "$3")
  deadline=$(($(now_ms) + $2 * 1000))
  while :; do
    # shellcheck disable=SC2016 # $1 and $l belong to the inner shell
    line=$(timeout 3 "${in[@]}" bash -c 'exec 3<>"/dev/tcp/$1/22" && IFS= read -r -t 2 l <&3 && printf %s "$l"' _ "$host" 2>/dev/null) || true
    [[ $line == SSH-2.0-* ]] && return 0
    (($(now_ms) < deadline)) || return 1
    sleep 0.02
  done
}

ssh_node() {
  local i=$1 in=(); shift
  # a node behind another is reached from that node's namespace
  [[ -z $(via "$i") ]] || in=(ip netns exec "$(ns "$(via "$i")")")
  "${in[@]}" ssh -F none -i "$STATE/client_ed25519" -o IdentitiesOnly=yes -o BatchMode=yes \
    -o UserKnownHostsFile="$STATE/known_hosts" -o GlobalKnownHostsFile=/dev/null \
    -o StrictHostKeyChecking=yes -o ConnectTimeout=5 "$(user "$i")@$(addr "$i")" "$@"
}

node_up_net() {
  local i=$1 d n v
  d=$(ndir "$i") n=$(ns "$i") v=$(veth "$i")
  mkdir -p "$d"
  [[ -f $d/ssh_host_ed25519_key ]] || ssh-keygen -q -t ed25519 -N '' -C "fleet $PREFIX n$i" -f "$d/ssh_host_ed25519_key"
  # the guard first: while the link is down or absent, nothing for this /24 follows the default route
  ip route replace unreachable "$SUBNET.$i.0/24" metric "$GUARD_METRIC"
  [[ -e /run/netns/$n ]] || ip netns add "$n"
  local j in=()
  j=$(via "$i")
  if [[ -n $j ]]; then
    # behind node j: no link to the host; the other end of eth0 is in j's namespace
    ip link del "$v" 2>/dev/null || true                     # it was not behind j last time
    v=$(bveth "$i") in=(-n "$(ns "$j")")
    if ! ip "${in[@]}" link show "$v" >/dev/null 2>&1; then
      ip -n "$n" link del eth0 2>/dev/null || true
      ip "${in[@]}" link add "$v" type veth peer name eth0 netns "$n"
    fi
  else
    if ! ip link show "$v" >/dev/null 2>&1; then
      ip -n "$n" link del eth0 2>/dev/null || true           # it was behind another node last time
      ip link add "$v" type veth peer name eth0 netns "$n"
    fi
    [[ ! -e /proc/sys/net/ipv6/conf/$v ]] || echo 1 >"/proc/sys/net/ipv6/conf/$v/disable_ipv6"
  fi
  ip "${in[@]}" addr replace "$(gw "$i")/24" dev "$v"
  ip "${in[@]}" link set "$v" up
  ip -n "$n" link set lo up
  ip -n "$n" addr replace "$(addr "$i")/24" dev eth0
  ip -n "$n" link set eth0 up

  if has "$i" "$NO_NODE"; then
    rm -rf "${d:?}/bin"; mkdir -p "$d/bin"
    local t p
    for t in $NO_NODE_TOOLS; do p=$(type -P "$t") && ln -s "$p" "$d/bin/$t"; done
  else
    rm -rf "${d:?}/bin"
  fi

  sshd_config "$i" >"$d/sshd_config.new"
  local pid=''
  [[ -r $d/sshd.pid ]] && pid=$(<"$d/sshd.pid")
  if [[ -n $pid && $(cat "/proc/$pid/comm" 2>/dev/null) == sshd ]] && cmp -s "$d/sshd_config.new" "$d/sshd_config"; then
    rm "$d/sshd_config.new"                               # already running with this configuration
  else
    [[ -z $pid ]] || ! running "$pid" || stop_pids "$pid"
    mv "$d/sshd_config.new" "$d/sshd_config"
    rm -f "$d/sshd.pid"
    ip netns exec "$n" "$SSHD" -f "$d/sshd_config" -E "$d/sshd.log" 9<&- \
      || die "node $i: sshd would not start; see $d/sshd.log"
  fi
  wait_banner "$(addr "$i")" "$WAIT_SECONDS" "${j:+$(ns "$j")}" || die "node $i: sshd did not answer on $(addr "$i"):22 within ${WAIT_SECONDS}s; see $d/sshd.log"
}

# the properties tests rely on, checked through the real login path
node_check() {
  local i=$1 out want
  out=$(ssh_node "$i" 'id -un; command -v node || echo no-node; command -v tar || echo no-tar') \
    || die "node $i: ssh $(user "$i")@$(addr "$i") failed"
  if has "$i" "$NO_NODE"; then want="$(user "$i") no-node $(ndir "$i")/bin/tar"; else want="$(user "$i") /usr/bin/node /usr/bin/tar"; fi
  out=${out//$'\n'/ }
  [[ $out == "$want" ]] || die "node $i: expected '$want' from the login environment, got '$out'"
}

cmd_up() {
  local n=${ARGS[1]:-} i
  if ! [[ $n =~ ^[0-9]+$ ]] || ((n < 1 || n > 254)); then die "usage: fleet.sh up N (1-254) [options]"; fi
  [[ -z $ENV_FILE || -r $ENV_FILE ]] || die "--env-file $ENV_FILE is not a readable file"
  [[ -x $SSHD ]] || die "$SSHD is missing: apt-get install openssh-server"
  # the subnets must be free: an address in node i's /24 on any other interface is someone else's
  local taken
  taken=$(ip -o -4 addr show | awk -v p="$PREFIX" -v s="$SUBNET" -v n="$n" '{
    name = $2; sub(/@.*/, "", name); split($4, a, "[./]")
    if (a[1] "." a[2] == s && a[3] >= 1 && a[3] <= n && name != p "h" a[3]) print $4 " on " name }')
  [[ -z $taken ]] || die "the subnet $SUBNET is in use (${taken//$'\n'/, }); pick another --subnet"
  mkdir -p "$STATE/nodes"
  chmod 0755 "$STATE" "$STATE/nodes"                # node users read authorized_keys and their bin/
  printf 'PREFIX=%s\nSUBNET=%s\nN=%s\nBEHIND=%s\n' "$PREFIX" "$SUBNET" "$n" "$BEHIND" >"$STATE/fleet.env"
  # Debian's sshd needs its privilege-separation folder; on a machine without a running sshd it is absent
  [[ -d /run/sshd ]] || install -d -m 0755 /run/sshd
  [[ -f $STATE/client_ed25519 ]] || ssh-keygen -q -t ed25519 -N '' -C "agency fleet client $PREFIX" -f "$STATE/client_ed25519"
  install -m 0644 "$STATE/client_ed25519.pub" "$STATE/authorized_keys"

  # a smaller N than last time removes the extra nodes
  local extra=()
  for i in $(known_nodes); do ((i > n)) && extra+=("$i"); done
  if ((${#extra[@]})); then
    parallel node_down_net "${extra[@]}"
    for i in "${extra[@]}"; do node_down_user "$i"; done
  fi

  for i in "${!VIA[@]}"; do
    ((i >= 1 && i <= n && VIA[$i] >= 1 && VIA[$i] <= n)) || die "--behind $i:${VIA[$i]}: both must be nodes 1-$n"
  done
  for i in $(seq 1 "$n"); do node_up_user "$i"; done
  # nodes behind others once the namespaces they sit behind are up
  local direct=() behind=()
  for i in $(seq 1 "$n"); do if [[ -n $(via "$i") ]]; then behind+=("$i"); else direct+=("$i"); fi; done
  parallel node_up_net "${direct[@]}"
  ((${#behind[@]} == 0)) || parallel node_up_net "${behind[@]}"
  cmd_known_hosts >"$STATE/known_hosts.new" && mv "$STATE/known_hosts.new" "$STATE/known_hosts"
  parallel node_check $(seq 1 "$n")
}

# --- the rest -------------------------------------------------------------------------------------

up_count() {
  [[ -r $STATE/fleet.env ]] || die "no fleet with prefix $PREFIX is up (no $STATE/fleet.env)"
  sed -n 's/^N=//p' "$STATE/fleet.env"
}

cmd_known_hosts() {
  local i
  for i in $(seq 1 "$(up_count)"); do
    echo "$(addr "$i") $(cut -d' ' -f1,2 "$(ndir "$i")/ssh_host_ed25519_key.pub")"
  done
}

cmd_info() {
  local i n sep=''
  n=$(up_count)
  printf '{"prefix":"%s","subnet":"%s","stateDir":"%s","clientKey":"%s","knownHosts":"%s","nodes":[' \
    "$PREFIX" "$SUBNET" "$STATE" "$STATE/client_ed25519" "$STATE/known_hosts"
  for i in $(seq 1 "$n"); do
    printf '%s\n {"name":"n%d","host":"%s","port":22,"user":"%s","gateway":"%s","hostKey":"%s","home":"%s"%s}' \
      "$sep" "$i" "$(addr "$i")" "$(user "$i")" "$(gw "$i")" \
      "$(cut -d' ' -f1,2 "$(ndir "$i")/ssh_host_ed25519_key.pub")" "$(home "$i")" \
      "$([[ -z $(via "$i") ]] || printf ',"behind":"n%d"' "$(via "$i")")"
    sep=,
  done
  printf '\n]}\n'
}

link_node() {
  local i=${ARGS[1]:-}
  if ! [[ $i =~ ^[0-9]+$ ]] || ((i < 1 || i > $(up_count))); then die "usage: fleet.sh ${ARGS[0]} I, with I a node that is up"; fi
  if [[ -n $(via "$i") ]]; then
    ip -n "$(ns "$(via "$i")")" link show "$(bveth "$i")" >/dev/null 2>&1 || die "node $i has no link $(bveth "$i") in $(ns "$(via "$i")")"
  else
    ip link show "$(veth "$i")" >/dev/null 2>&1 || die "node $i has no link $(veth "$i")"
  fi
  echo "$i"
}

# `ip link set` on node i's link, wherever its host end is
set_link() {
  local i=$1 j
  j=$(via "$i")
  if [[ -n $j ]]; then ip -n "$(ns "$j")" link set "$(bveth "$i")" "$2"; else ip link set "$(veth "$i")" "$2"; fi
}

cmd_relay() {
  local i j port=${ARGS[2]:-} deadline
  i=$(link_node)
  j=$(via "$i")
  [[ -n $j ]] || die "relay: node $i is not behind another node; it reaches the host at $(gw "$i") itself"
  [[ $port =~ ^[0-9]+$ ]] && ((port >= 1 && port <= 65535)) || die "usage: fleet.sh relay I PORT"
  command -v socat >/dev/null || die "socat is missing: apt-get install socat"
  # in node j's namespace, so `down` ends it with the namespace's other processes
  ip netns exec "$(ns "$j")" setsid socat "TCP-LISTEN:$port,bind=$(gw "$i"),fork,reuseaddr" "TCP:$(gw "$j"):$port" \
    </dev/null >/dev/null 2>&1 9<&- &
  deadline=$(($(now_ms) + WAIT_SECONDS * 1000))
  # shellcheck disable=SC2016 # $1 and $2 belong to the inner shell
  until ip netns exec "$(ns "$i")" timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$(gw "$i")" "$port" 2>/dev/null; do
    (($(now_ms) < deadline)) || die "relay for node $i on $(gw "$i"):$port did not start"
    sleep 0.02
  done
}

case ${ARGS[0]:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  cut) i=$(link_node); set_link "$i" down ;;
  restore)
    i=$(link_node); set_link "$i" up
    j=$(via "$i")
    wait_banner "$(addr "$i")" "$WAIT_SECONDS" "${j:+$(ns "$j")}" || die "node $i: sshd did not answer after restore" ;;
  relay) cmd_relay ;;
  known-hosts) cmd_known_hosts ;;
  info) cmd_info ;;
  *) die "usage: fleet.sh up N [--no-streamlocal i,j] [--no-node i,j] [--disk-full i,j] [--behind i:j,k:l] [--env-file F] | down | cut I | restore I | relay I PORT | known-hosts | info  [--prefix P] [--subnet A.B] [--state-dir D]" ;;
esac
