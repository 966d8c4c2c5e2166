#!/bin/sh
# chimera services on lab nodes (no systemd there): every subcommand says so and exits 3, usage errors, events.
. "$E2E_DIR/lib.sh"
LAB_BASE=213
start

expect_exit 0 "lab up 2" ch lab up 2 --base $LAB_BASE
N0=root@127.$LAB_BASE.0.10:22 N1=root@127.$LAB_BASE.0.11:22
DOWN=root@127.$LAB_BASE.9.9:22	# nothing listens there

# The lab nodes have no systemd (no /run/systemd/system): every subcommand must say so
# for each node and exit 3, never report success.
for sub in list "status ssh" "start nginx" "stop nginx" "restart cron.service" "enable getty@tty1" "disable ssh.socket"; do
	# shellcheck disable=SC2086
	expect_exit 3 "services $sub on nodes without systemd" ch services $sub -t @lab
	check "  $sub: $N0 has no service manager" contains "$OUT" "$N0: FAILED at detect: no service manager on $N0 (systemd is not running)"
	check "  $sub: $N1 has no service manager" contains "$OUT" "$N1: FAILED at detect: no service manager on $N1 (systemd is not running)"
	check "  $sub: the summary counts no success" contains "$OUT" "2 nodes: 0 ok, 2 failed (2 without a service manager)"
	check "  $sub: no unit table is shown" [ "$(printf "%s\n" "$OUT" | grep -c 'UNIT')" = 0 ]
	check "  $sub: nothing claims it was done" [ "$(printf "%s\n" "$OUT" | grep -c ': done$')" = 0 ]

	# shellcheck disable=SC2086
	expect_exit 3 "services $sub --json" ch services $sub -t @lab --json
	check "  $sub --json: two nodes, in target order" [ "$(printf "%s\n" "$OUT" | jq -r '[.nodes[].target] | join(",")')" = "$N0,$N1" ]
	check "  $sub --json: none ok, each without a service manager, no units" \
		[ "$(printf "%s\n" "$OUT" | jq '[.nodes[] | select(.ok == false and .service_manager == "none" and .step == "detect" and .units == [] and .action_exit == null)] | length')" = 2 ]
	check "  $sub --json: each error names its node" \
		[ "$(printf "%s\n" "$OUT" | jq '[.nodes[] | select(.error == "no service manager on \(.target) (systemd is not running)")] | length')" = 2 ]
	check "  $sub --json: summary" [ "$(printf "%s\n" "$OUT" | jq -c '.summary | [.nodes, .ok, .failed, .no_service_manager]')" = "[2,0,2,2]" ]
	check "  $sub --json: action named" [ "$(printf "%s\n" "$OUT" | jq -r .action)" = "${sub%% *}" ]
done
expect_exit 3 "services start nginx --json (kept for the ledger checks)" ch services start nginx -t @lab --json
RUN=$(printf "%s\n" "$OUT" | jq -r .run)
check "the unit name got .service" [ "$(printf "%s\n" "$OUT" | jq -r .unit)" = nginx.service ]
check "list has no unit" [ "$(ch services list -t @lab --json | jq -r .unit)" = null ]

# --exclude and --parallel work as for every fleet command.
expect_exit 3 "--exclude leaves a node out" ch services list -t @lab --exclude "$N1" --parallel 1 --json
check "only $N0 was asked" [ "$(printf "%s\n" "$OUT" | jq -r '[.nodes[].target] | join(",")')" = "$N0" ]

# An unreachable target is reported per node: alone it is exit 1 (nothing answered) ...
expect_exit 1 "services list on an address with no sshd" ch services list -t "$DOWN" --connect-timeout 2
check "reported at connect, naming it" contains "$OUT" "$DOWN: FAILED at connect"
check "not as a missing service manager" [ "$(printf "%s\n" "$OUT" | grep -c 'no service manager')" = 0 ]
# ... and next to nodes without systemd it is still exit 3, each node with its own reason.
expect_exit 3 "services status with one node unreachable" ch services status ssh -t "@lab,$DOWN" --connect-timeout 2 --json
check "the unreachable node failed at connect, manager unknown" \
	[ "$(printf "%s\n" "$OUT" | jq -r --arg t "$DOWN" '.nodes[] | select(.target == $t) | "\(.step) \(.service_manager) \(.ok)"')" = "connect null false" ]
check "the others still report no service manager" \
	[ "$(printf "%s\n" "$OUT" | jq '[.nodes[] | select(.service_manager == "none")] | length')" = 2 ]
check "summary: 3 failed, 2 without a manager" [ "$(printf "%s\n" "$OUT" | jq -c '.summary | [.failed, .no_service_manager]')" = "[3,2]" ]

# Usage errors: exit 2, before any node is contacted, naming the input.
expect_exit 2 "a bad unit name" ch services start 'nginx;reboot' -t @lab
check "the error quotes it and the expected form" contains "$ERR" "bad unit name 'nginx;reboot': expected letters, digits and :_.@-"
expect_exit 2 "a unit name with a slash" ch services status ../etc/passwd -t @lab
check "the error quotes it" contains "$ERR" "bad unit name '../etc/passwd'"
expect_exit 2 "a unit name with a space" ch services stop 'a b' -t @lab
check "the error quotes it" contains "$ERR" "bad unit name 'a b'"
for sub in status start stop restart enable disable; do
	expect_exit 2 "services $sub without NAME" ch services $sub -t @lab
	check "  it says $sub needs a NAME" contains "$ERR" "services $sub needs a unit NAME"
done
expect_exit 2 "no subcommand" ch services -t @lab
check "it says a subcommand is missing" contains "$ERR" "no subcommand: expected list, status, start"
expect_exit 2 "an unknown subcommand" ch services reload nginx -t @lab
check "it names it" contains "$ERR" "unknown services subcommand 'reload'"
expect_exit 2 "list with a NAME" ch services list nginx -t @lab
check "it names the extra word" contains "$ERR" "services list takes no NAME, got 'nginx'"
expect_exit 2 "two names" ch services start a b -t @lab
check "it names the extra word" contains "$ERR" "unexpected argument 'b'"
expect_exit 2 "no targets" ch services list
expect_exit 2 "a bad target" ch services list -t 'root@@h'
check "the error quotes it" contains "$ERR" "root@@h"
expect_exit 2 "a bad --parallel" ch services list -t @lab --parallel 0
expect_exit 2 "an unknown option" ch services list -t @lab --now
expect_exit 0 "--help" ch services --help
check "help names every subcommand" contains "$OUT" "status|start|stop|restart|enable|disable NAME"

# The ledger: services.action, a node.services per node, services.complete, all in the run.
expect_exit 0 "events of the start run" ch events --deployment "$RUN" --json
check "services.action, 2 node.services, services.complete" \
	[ "$(printf "%s\n" "$OUT" | jq -r .topic | tr '\n' ' ')" = "services.action node.services node.services services.complete " ]
check "services.action names the action and unit" \
	[ "$(printf "%s\n" "$OUT" | jq -r 'select(.topic == "services.action") | "\(.payload.action) \(.payload.unit) \(.payload.targets)"')" = "start nginx.service 2" ]
check "each node event records no service manager and not ok" \
	[ "$(printf "%s\n" "$OUT" | jq -r 'select(.topic == "node.services") | "\(.payload.ok) \(.payload.service_manager) \(.payload.step)"' | sort -u)" = "false none detect" ]
check "services.complete counts them" \
	[ "$(printf "%s\n" "$OUT" | jq -c 'select(.topic == "services.complete") | [.payload.ok, .payload.failed, .payload.no_service_manager]')" = "[0,2,2]" ]
expect_exit 0 "node.services events of $N0" ch events --topic node.services --node "$N0" --json
# 7 subcommands twice, the extra start and list, and the --exclude run.
check "one per run that reached $N0 (18)" [ "$(printf "%s\n" "$OUT" | jq -s length)" = 18 ]
check "none of them claims success" [ "$(printf "%s\n" "$OUT" | jq -s '[.[] | select(.payload.ok)] | length')" = 0 ]
expect_exit 0 "node.services events of the unreachable node" ch events --topic node.services --node "$DOWN" --json
check "its failures are recorded at connect" [ "$(printf "%s\n" "$OUT" | jq -r '.payload.step' | sort -u)" = connect ]
expect_exit 0 "no usage error left an event (only services.action of real runs)" ch events --topic services.action --json
check "19 runs recorded" [ "$(printf "%s\n" "$OUT" | jq -s length)" = 19 ]
expect_exit 0 "the ledger verifies" ch ledger verify
finish
