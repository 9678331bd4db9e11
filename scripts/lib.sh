# Shell helpers shared by scripts/up, scripts/test and the integration tests.
# Source it; every function prints one line on failure and returns non-zero.

sw_root() { cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd; }

# A TCP port nobody listens on (the kernel picks it).
sw_free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Wait until cmd succeeds, at most $1 seconds.
sw_wait_for() {
  local secs=$1; shift
  local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.2
  done
}

# Does the Docker engine at DOCKER_HOST (or the default socket) answer?
sw_docker_ok() {
  docker version --format '{{.Server.APIVersion}}' >/dev/null 2>&1
}

# Start a private dockerd whose state lives in $1 (socket $1/docker.sock). Prints the
# DOCKER_HOST to use. The dockerd's pid is in $1/pid, its arguments in $1/args (one a
# line: sw_restart_dockerd starts it again the same way). With $2 = "own-bridge" it gets a
# bridge and subnet of its own (recorded in $1/bridge), so it can run beside another
# dockerd without both handing out the same container addresses on docker0.
# --live-restore: the containers (the apps) keep running while dockerd is down or
# restarting, and the dockerd started again takes them back.
sw_start_dockerd() {
  local dir=$1 mode=${2:-} bridge_args=()
  mkdir -p "$dir"
  if [ "$mode" = own-bridge ]; then
    local br net
    br=sw$(printf '%s' "$dir" | sha256sum | cut -c1-10)
    ip link del "$br" 2>/dev/null || true
    for net in $(shuf -i 16-250 -n 40); do
      ip -4 addr show | grep -q " 10\.213\.$net\." && continue
      ip link add "$br" type bridge && ip addr add "10.213.$net.1/24" dev "$br" &&
        ip link set "$br" up && break
      ip link del "$br" 2>/dev/null || true
    done
    if ! ip link show "$br" >/dev/null 2>&1; then
      echo "cannot create bridge $br for the private dockerd" >&2
      return 1
    fi
    echo "$br" >"$dir/bridge"
    bridge_args=(--bridge "$br")
  fi
  printf '%s\n' --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/pid" \
    -H "unix://$dir/docker.sock" --storage-driver=vfs --live-restore "${bridge_args[@]}" >"$dir/args"
  : >"$dir/log"
  sw_run_dockerd "$dir" 60
}

# dockerd with the arguments in $1/args, its output appended to $1/log; waits at most $2
# seconds for it to answer and prints its DOCKER_HOST.
sw_run_dockerd() {
  local dir=$1 secs=$2 args=()
  mapfile -t args <"$dir/args"
  dockerd "${args[@]}" >>"$dir/log" 2>&1 &
  if ! DOCKER_HOST="unix://$dir/docker.sock" sw_wait_for "$secs" sw_docker_ok; then
    echo "dockerd did not start; its log: $dir/log" >&2
    tail -5 "$dir/log" >&2
    return 1
  fi
  echo "unix://$dir/docker.sock"
}

# Start again the dockerd sw_start_dockerd started in $1 (after it died), with the same
# arguments, so the programs that use its socket find it again; it takes its running
# containers back (--live-restore). Prints the DOCKER_HOST. The dead dockerd and its
# containerd must be gone first, not only dead: while their pids exist (a zombie not yet
# reaped counts) a new dockerd refuses to start or waits for the old containerd.
sw_restart_dockerd() {
  local dir=$1 f pid i
  if [ ! -s "$dir/args" ]; then
    echo "$dir was not started by sw_start_dockerd (no $dir/args)" >&2
    return 1
  fi
  for f in "$dir/pid" "$dir/exec/containerd/containerd.pid"; do
    [ -s "$f" ] || continue
    pid=$(cat "$f")
    for i in $(seq 150); do
      [ -e "/proc/$pid" ] || break
      grep -q '^State:[[:space:]]*[ZX]' "/proc/$pid/status" 2>/dev/null && break
      sleep 0.2
    done
    if [ -e "/proc/$pid" ] && ! grep -q '^State:[[:space:]]*[ZX]' "/proc/$pid/status" 2>/dev/null; then
      echo "the dockerd of $dir (or its containerd, pid $pid) still runs" >&2
      return 1
    fi
    rm -f "$f"
  done
  # restoring many containers on a busy machine takes a minute or more
  sw_run_dockerd "$dir" 180
}

# Stop the dockerd started by sw_start_dockerd in $1, removing its containers first and
# its own bridge after.
sw_stop_dockerd() {
  local dir=$1
  if [ -f "$dir/pid" ]; then
    DOCKER_HOST="unix://$dir/docker.sock" docker ps -aq 2>/dev/null |
      xargs -r env DOCKER_HOST="unix://$dir/docker.sock" docker rm -f >/dev/null 2>&1
    sw_stop_pidfile "$dir/pid"
  fi
  if [ -f "$dir/bridge" ]; then
    ip link del "$(cat "$dir/bridge")" 2>/dev/null || true
    rm -f "$dir/bridge"
  fi
}

# Make slipway/busybox:latest (Debian's static busybox) in the engine at DOCKER_HOST.
sw_make_base_image() {
  if docker image inspect slipway/busybox:latest >/dev/null 2>&1; then
    return 0
  fi
  local root
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/root"
  cp /bin/busybox "$root/bin/busybox"
  local a
  for a in $(/bin/busybox --list); do
    [ "$a" = busybox ] || ln -s busybox "$root/bin/$a"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  echo 'root:x:0:' >"$root/etc/group"
  chmod 1777 "$root/tmp"
  tar -C "$root" -c . | docker import -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin' - slipway/busybox:latest >/dev/null
  local rc=$?
  rm -rf "$root"
  return $rc
}

# Start Distribution's registry on 127.0.0.1:$2 with its data and config in $1.
# Optional $3: an htpasswd file for basic auth. Pid in $1/pid.
sw_start_registry() {
  local dir=$1 port=$2 htpasswd=${3:-}
  mkdir -p "$dir/data"
  {
    echo "version: 0.1"
    echo "log: {level: warn}"
    echo "storage:"
    echo "  filesystem: {rootdirectory: $dir/data}"
    echo "  delete: {enabled: true}"
    echo "http:"
    echo "  addr: 127.0.0.1:$port"
    if [ -n "$htpasswd" ]; then
      echo "auth:"
      echo "  htpasswd: {realm: slipway, path: $htpasswd}"
    fi
  } >"$dir/config.yml"
  docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
  echo $! >"$dir/pid"
  if ! sw_wait_for 30 curl -s -o /dev/null "http://127.0.0.1:$port/v2/"; then
    echo "registry did not start on port $port; its log: $dir/log" >&2
    return 1
  fi
}

# Stop the process whose pid is in file $1 (TERM, then KILL after 10 s).
sw_stop_pidfile() {
  local f=$1 pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
    local i
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

# The system user sshd lets in for git over SSH (scripts/sshd), made once: a shell (sshd
# runs forced commands through it), no password and not locked (sshd without PAM refuses
# a locked account), home /var/lib/slipway. An existing "git" user is used as it is.
sw_ensure_git_user() {
  mkdir -p /var/lib/slipway
  if ! getent passwd git >/dev/null; then
    useradd --system --home-dir /var/lib/slipway --no-create-home --shell /bin/sh \
      --comment "slipway git over SSH" git
  fi
  local pw shell
  pw=$(getent shadow git | cut -d: -f2)
  case $pw in '!'|'!!'|'!*'|'') usermod -p '*' git ;; esac
  shell=$(getent passwd git | cut -d: -f7)
  case $shell in */nologin|*/false)
    echo "the user git has the shell $shell: sshd cannot run slipway-ssh for it (usermod -s /bin/sh git)" >&2
    return 1 ;;
  esac
}
