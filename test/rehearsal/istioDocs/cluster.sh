#!/usr/bin/env bash
# The cluster, replaced: sourced before Istio's verify.sh, snips.sh and test.sh so that the
# snippets run unchanged. `kubectl`, `istioctl` and the istio.io test helpers (tests/util/*.sh)
# become shell functions that drive the rehearsal instead of a Kubernetes API server:
#   kubectl apply -f - <<EOF …       the resource goes into the sidecar's config (`tripbench sidecar -f`,
#                                    restarted with every file applied so far; Envoy would take it over xDS)
#   kubectl exec … -c fortio -- /usr/bin/fortio ARGS   `node bin/tripbench.js ARGS`, the URL's host sent as
#                                    Host to the sidecar's listener (what the pod's iptables redirect does)
#   kubectl exec … -c sleep -- [time] curl ARGS        curl --connect-to the sidecar's listener, the
#                                    rehearsal's CA trusted (--cacert: the pod trusts the real hosts' CAs)
#   kubectl exec … (the command fails)  "command terminated with exit code N" on stderr, status N (kubectl's)
#   kubectl exec … -c istio-proxy -- pilot-agent request GET P   curl of the sidecar admin /P
#   kubectl logs … -c istio-proxy    the sidecar's stderr (its -accesslog lines)
#   kubectl get pods/pod -l app=X    a pod name for X (the client is this shell)
#   istioctl install [--set meshConfig.outboundTrafficPolicy.mode=M]   the sidecar restarted with
#                                    -outbound-traffic-policy M (none: the Istio version's default)
# The outside hosts: httpbin.org is `tripbench server` (-upstream), the HTTPS hosts the tasks call
# (www.google.com, edition.cnn.com) one `tripbench server -tls-hosts` (-tls-upstream, CA in ca.pem).
# Anything that needs the API server itself (kubectl get <resource> -o yaml, describe, wait)
# fails loudly; the checks that use it are skipped by the test, with the reason.
# Inputs (environment): TB_BIN (bin/tripbench.js), TB_WORK (scratch directory), TB_ISTIO_VERSION,
# TB_CHECKS (file receiving one PASS line per check that passed).

__tb_resources="$TB_WORK/resources"
__tb_sidecar_log="$TB_WORK/istio-proxy.log"
mkdir -p "$__tb_resources"
: > "$__tb_sidecar_log"
__tb_server_pid=""
__tb_server_addr=""
__tb_tls_pid=""
__tb_tls_addr=""
__tb_tls_hosts="www.google.com,edition.cnn.com"
__tb_ca="$TB_WORK/ca.pem"
# meshConfig.outboundTrafficPolicy.mode of the last istioctl install ("": not set)
__tb_policy=""
# the namespace is labelled istio-injection=enabled and a sample pod was deployed: it has a sidecar
__tb_injection=""
__tb_injected=""
__tb_sidecar_pid=""
TB_SIDECAR_PORT=""
TB_ADMIN_PORT=""
__tb_seq=0

__tb_fail() {
    echo "rehearsal: $*" >&2
    return 1
}

# Wait (bounded) for a line matching $2 to appear in file $1 after byte offset $3; print it.
__tb_await_line() {
    local file=$1 pattern=$2 from=$3 pid=$4 line
    local deadline=$((SECONDS + 120))
    while (( SECONDS < deadline )); do
        line=$(tail -c +"$((from + 1))" "$file" | grep -m1 -E "$pattern" || true)
        if [[ -n "$line" ]]; then
            echo "$line"
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || { tail -c +"$((from + 1))" "$file" >&2; __tb_fail "process $pid exited before printing /$pattern/"; return 1; }
        sleep 0.1
    done
    __tb_fail "no /$pattern/ in $file within 120 s"
}

__tb_stop() {
    local pid=$1
    [[ -z "$pid" ]] && return 0
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

__tb_start_server() {
    [[ -n "$__tb_server_pid" ]] && return 0
    local log="$TB_WORK/httpbin.log"
    : > "$log"
    node "$TB_BIN" server -listen 127.0.0.1:0 2>>"$log" &
    __tb_server_pid=$!
    local line
    line=$(__tb_await_line "$log" 'listening on http://' 0 "$__tb_server_pid") || return 1
    __tb_server_addr=$(grep -oE '127\.0\.0\.1:[0-9]+' <<< "$line" | head -1)
    log="$TB_WORK/https-hosts.log"
    : > "$log"
    node "$TB_BIN" server -listen 127.0.0.1:0 -tls-hosts "$__tb_tls_hosts" -ca-out "$__tb_ca" 2>>"$log" &
    __tb_tls_pid=$!
    line=$(__tb_await_line "$log" 'listening on https://' 0 "$__tb_tls_pid") || return 1
    __tb_tls_addr=$(grep -oE '127\.0\.0\.1:[0-9]+' <<< "$line" | head -1)
}

# The sidecar with every resource applied so far (none, and no injected pod: no sidecar).
__tb_restart_sidecar() {
    __tb_stop "$__tb_sidecar_pid"
    __tb_sidecar_pid=""
    TB_SIDECAR_PORT=""
    TB_ADMIN_PORT=""
    local files=() f
    for f in "$__tb_resources"/*.yaml; do
        [[ -e "$f" ]] && files+=(-f "$f")
    done
    (( ${#files[@]} == 0 )) && [[ -z "$__tb_injected" ]] && return 0
    __tb_start_server || return 1
    # The service port names the cluster (outbound|<port>||<host>): a ServiceEntry's first port,
    # as pilot does; else the Kubernetes Service's 8000 of the httpbin sample.
    local port=8000 se
    se=$(grep -l -E '^kind: ServiceEntry' "$__tb_resources"/*.yaml 2>/dev/null | head -1 || true)
    if [[ -n "$se" ]]; then
        port=$(grep -m1 -oE -- '- number: [0-9]+' "$se" | grep -oE '[0-9]+$' || echo 8000)
    fi
    local from
    from=$(wc -c < "$__tb_sidecar_log")
    local policy=()
    [[ -n "$__tb_policy" ]] && policy=(-outbound-traffic-policy "$__tb_policy")
    node "$TB_BIN" sidecar "${files[@]}" -upstream "$__tb_server_addr" -tls-upstream "$__tb_tls_addr" \
        -listen 127.0.0.1:0 -admin 127.0.0.1:0 "${policy[@]}" \
        -istio-version "$TB_ISTIO_VERSION" -service-port "$port" -accesslog 2>>"$__tb_sidecar_log" &
    __tb_sidecar_pid=$!
    local line
    line=$(__tb_await_line "$__tb_sidecar_log" 'listening on http://' "$from" "$__tb_sidecar_pid") || return 1
    TB_SIDECAR_PORT=$(grep -oE 'listening on http://127\.0\.0\.1:[0-9]+' <<< "$line" | grep -oE '[0-9]+$')
    line=$(__tb_await_line "$__tb_sidecar_log" 'admin on http://' "$from" "$__tb_sidecar_pid") || return 1
    TB_ADMIN_PORT=$(grep -oE 'admin on http://127\.0\.0\.1:[0-9]+' <<< "$line" | grep -oE '[0-9]+$')
}

__tb_cleanup() {
    __tb_stop "$__tb_sidecar_pid"
    __tb_stop "$__tb_server_pid"
    __tb_stop "$__tb_tls_pid"
}
trap __tb_cleanup EXIT
trap '__tb_cleanup; exit 143' TERM INT

__tb_apply_stdin() {
    __tb_seq=$((__tb_seq + 1))
    local file="$__tb_resources/$(printf '%02d' "$__tb_seq").yaml"
    cat > "$file"
    echo "$(grep -m1 -E '^kind:' "$file" | sed 's/^kind: *//') applied (rehearsal: sidecar -f $(basename "$file"))"
    __tb_restart_sidecar
}

# kubectl delete <kind> <name>…: drop those resources and restart the sidecar with the rest.
__tb_delete() {
    local kind=$1
    shift
    local name f
    for name in "$@"; do
        [[ "$name" == -* ]] && continue
        for f in "$__tb_resources"/*.yaml; do
            [[ -e "$f" ]] || continue
            if grep -qi -E "^kind: *$kind\$" "$f" && grep -q -E "^  name: *$name\$" "$f"; then
                rm -f "$f"
                echo "$kind \"$name\" deleted"
            fi
        done
    done
    __tb_restart_sidecar
}

# Rewrites http://host[:port]/path to the sidecar's listener, keeping the authority as Host.
__tb_fortio() {
    local args=() a host
    for a in "$@"; do
        if [[ "$a" =~ ^http://([^/]+)(/.*)?$ ]]; then
            host=${BASH_REMATCH[1]}
            args+=(-H "Host: $host" "http://127.0.0.1:$TB_SIDECAR_PORT${BASH_REMATCH[2]}")
        else
            args+=("$a")
        fi
    done
    node "$TB_BIN" "${args[@]}"
}

__tb_in_pod() {
    local container=$1
    shift
    case "$container:$1" in
        *:time)
            shift
            time __tb_in_pod "$container" "$@"
            ;;
        fortio:/usr/bin/fortio)
            shift
            __tb_fortio "$@"
            ;;
        istio-proxy:pilot-agent)
            [[ "$2" == request ]] || { __tb_fail "pilot-agent $2: not modelled"; return 1; }
            curl -sS "http://127.0.0.1:$TB_ADMIN_PORT/${4#/}"
            ;;
        *:curl)
            shift
            [[ -n "$TB_SIDECAR_PORT" ]] || { __tb_fail "no sidecar (nothing applied)"; return 1; }
            curl --connect-to "::127.0.0.1:$TB_SIDECAR_PORT" --cacert "$__tb_ca" "$@"
            ;;
        *)
            __tb_fail "kubectl exec -c $container -- $*: not modelled"
            ;;
    esac
}

kubectl() {
    local verb=$1
    shift
    case "$verb" in
        apply)
            if [[ "$1" == -f && "$2" == - ]]; then
                __tb_apply_stdin
            else
                # the sample deployments: httpbin is `tripbench server`, the client pod is this shell,
                # its sidecar `tripbench sidecar` when the namespace has injection enabled
                echo "rehearsal: kubectl apply $*: a sample workload, played by tripbench"
                if [[ -n "$__tb_injection" && -z "$__tb_injected" ]]; then
                    __tb_injected=1
                    __tb_restart_sidecar
                fi
            fi
            ;;
        label)
            [[ "$*" == *istio-injection=enabled* ]] && __tb_injection=1
            echo "rehearsal: kubectl label $*: the next sample pod gets the sidecar"
            ;;
        get)
            if [[ "$1" == pods || "$1" == pod ]] && [[ "$*" =~ app=([a-z]+) ]]; then
                echo "${BASH_REMATCH[1]}-rehearsal"
            else
                __tb_fail "kubectl get $*: needs a Kubernetes API server"
            fi
            ;;
        exec)
            local container=""
            while (( $# > 0 )) && [[ "$1" != -- ]]; do
                [[ "$1" == -c ]] && { container=$2; shift; }
                shift
            done
            shift
            local rc=0
            __tb_in_pod "$container" "$@" || rc=$?
            (( rc == 0 )) || echo "command terminated with exit code $rc" >&2
            return "$rc"
            ;;
        logs) cat "$__tb_sidecar_log" ;;
        delete)
            case "$1" in
                destinationrule | serviceentry | virtualservice) __tb_delete "$@" ;;
                deploy | svc) __tb_stop "$__tb_sidecar_pid"; __tb_sidecar_pid=""; echo "rehearsal: kubectl delete $*" ;;
                *) echo "rehearsal: kubectl delete $*: nothing to delete" ;;
            esac
            ;;
        *) __tb_fail "kubectl $verb $*: needs a Kubernetes API server" ;;
    esac
}

# istioctl install: the mesh config the sidecar sees; pilot pushes a change to running proxies,
# here the sidecar restarts with it. Settings the rehearsal does not model fail loudly.
istioctl() {
    [[ "$1" == install ]] || { __tb_fail "istioctl $*: needs a Kubernetes cluster"; return 1; }
    shift
    local policy="" a
    while (( $# > 0 )); do
        a=$1
        shift
        case "$a" in
            --set)
                case "$1" in
                    profile=*) ;;
                    meshConfig.outboundTrafficPolicy.mode=*) policy=${1#*=} ;;
                    *) __tb_fail "istioctl install --set $1: not modelled"; return 1 ;;
                esac
                shift
                ;;
            -y) ;;
            *) __tb_fail "istioctl install $a: not modelled"; return 1 ;;
        esac
    done
    __tb_policy=$policy
    echo "rehearsal: istioctl install: outboundTrafficPolicy ${policy:-(the Istio $TB_ISTIO_VERSION default)}"
    [[ -n "$__tb_sidecar_pid" ]] && __tb_restart_sidecar
    return 0
}

# tests/util/helpers.sh and samples.sh, replaced
startup_httpbin_sample() {
    __tb_start_server
}

_wait_for_deployment() {
    :
}

# Istio waits until pilot has pushed the resource to the proxies; here the sidecar has loaded it
# once it answers /ready.
_wait_for_istio() {
    [[ -z "$TB_ADMIN_PORT" ]] && return 0
    curl -sSf "http://127.0.0.1:$TB_ADMIN_PORT/ready" > /dev/null
}

# Records every check that returns: verify.sh's helpers exit the script when a check fails.
__tb_count_checks() {
    local f
    for f in _verify_same _verify_contains _verify_not_contains _verify_elided _verify_regex _verify_first_line _verify_like _verify_lines _verify_failure; do
        eval "__tb_orig$(declare -f "$f")"
        eval "$f() { __tb_orig$f \"\$@\"; echo \"PASS $f \$1\" >> \"\$TB_CHECKS\"; }"
    done
}

# test.sh lines the rehearsal cannot run are replaced by this, with the reason.
__tb_skip() {
    echo "SKIP $1" >> "$TB_CHECKS"
}
