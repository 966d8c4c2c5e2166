#!/bin/sh
# chimera secrets: set/get/list, age interop both ways, recipients, rotate-key, grants and push to lab nodes, errors, no leaks.
. "$E2E_DIR/lib.sh"
LAB_BASE=212
start
W="$E2E_WORK/$TEST_NAME"
CFG="$W/chimera.toml"
CAP="$W/captured.log"	# every command output but the values `get` prints on purpose
: > "$CAP"

chc() { "$CHIMERA" --state-dir "$STATE" --config "$CFG" "$@"; }
# expect_exit, keeping what the command printed for the final search for leaks.
cap() { expect_exit "$@"; printf '%s\n%s\n' "$OUT" "$ERR" >> "$CAP"; }
# Node N's secrets directory seen from here (the lab says where its files are).
node_dir() { r=$(node_root "$1"); echo "${r:-$W/no-node-$1}/run/chimera/secrets"; }

if ! command -v age >/dev/null || ! command -v age-keygen >/dev/null; then
	not_ok "age and age-keygen are needed for the interop checks"
	finish
	exit 1
fi

# Long random values, so finding one anywhere can only be a leak.
VAL1="db-$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
VAL2="api-$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
VAL3="ext-$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
printf '%s' "$VAL1" > "$W/val1"
printf '%s' "$VAL2" > "$W/val2"
printf '%s' "$VAL3" > "$W/val3"
# Binary, with NUL bytes.
{ printf 'head\000\000mid\000'; head -c 3000 /dev/urandom; printf '\000'; } > "$W/blob"

printf '# three lab nodes\n[machines.n0]\ntarget = "root@127.%s.0.10:22"\n\n[machines.n1]\ntarget = "root@127.%s.0.11:22"\n\n[machines.n2]\ntarget = "root@127.%s.0.12:22"\n' \
	$LAB_BASE $LAB_BASE $LAB_BASE > "$CFG"

# set from stdin and --file; get round trips.
cap 0 "set from stdin" sh -c 'printf "%s" "$1" | "$CHIMERA" --state-dir "$2" secrets set db.pass' sh "$VAL1" "$STATE"
cap 0 "set --file" ch secrets set api-token --file "$W/val2"
cap 0 "set binary data with NUL bytes" ch secrets set blob --file "$W/blob"
check "get gives the stdin value back" [ "$(ch secrets get db.pass)" = "$VAL1" ]
check "get gives the --file value back" [ "$(ch secrets get api-token)" = "$VAL2" ]
ch secrets get blob > "$W/blob.out"
check "get gives binary data back byte for byte" cmp -s "$W/blob" "$W/blob.out"
rm -f "$W/blob.out"
check "the secret file is mode 0600" [ "$(stat -c %a "$STATE/secrets/db.pass.age")" = 600 ]
check "the admin identity is mode 0600" [ "$(stat -c %a "$STATE/keys/age.key")" = 600 ]
check "the admin identity is in age-keygen format" grep -q '^AGE-SECRET-KEY-1' "$STATE/keys/age.key"
check "the secret file is an age file" [ "$(head -1 "$STATE/secrets/db.pass.age")" = "age-encryption.org/v1" ]

cap 0 "list --json" ch secrets list --json
check "list names the three secrets" [ "$(printf '%s\n' "$OUT" | jq -r '[.secrets[].name] | join(",")')" = "api-token,blob,db.pass" ]
check "list gives sizes and no grants yet" [ "$(printf '%s\n' "$OUT" | jq '[.secrets[] | select(.size > 100 and (.grants | length) == 0)] | length')" = 3 ]
check "list gives the modification time" [ "$(printf '%s\n' "$OUT" | jq -r '.secrets[0].modified' | cut -c1-2)" = 20 ]

# Interop: age reads ours, we read age's.
check "age -d with the admin key opens a chimera secret" [ "$(age -d -i "$STATE/keys/age.key" "$STATE/secrets/db.pass.age")" = "$VAL1" ]
PUB=$(ch secrets identity)
check "identity prints an age public key" contains "$PUB" "age1"
check "it is the admin key's" [ "$(age-keygen -y "$STATE/keys/age.key")" = "$PUB" ]
age -r "$PUB" -o "$W/ext.age" "$W/val3"
cap 0 "import a file made by age -r" ch secrets import ext "$W/ext.age"
check "the imported secret reads back" [ "$(ch secrets get ext)" = "$VAL3" ]
age -r "$PUB" -o "$STATE/secrets/placed.age" "$W/val3"
check "a file made by age put in place of a secret reads back" [ "$(ch secrets get placed)" = "$VAL3" ]

# An extra recipient can open every secret with its own key.
age-keygen -o "$W/extra.key" 2>/dev/null
EXTRA=$(age-keygen -y "$W/extra.key")
check "the extra key cannot open db.pass yet" sh -c '! age -d -i "$1" "$2" >/dev/null 2>&1' sh "$W/extra.key" "$STATE/secrets/db.pass.age"
cap 0 "recipients add" ch secrets recipients add "$EXTRA"
check "it re-encrypted the 5 secrets" contains "$OUT" "5 secrets re-encrypted"
check "recipients list shows it" [ "$(ch secrets recipients list)" = "$EXTRA" ]
check "the extra recipient opens db.pass with its own key" [ "$(age -d -i "$W/extra.key" "$STATE/secrets/db.pass.age")" = "$VAL1" ]
check "and the imported one" [ "$(age -d -i "$W/extra.key" "$STATE/secrets/ext.age")" = "$VAL3" ]
cap 1 "adding it twice is an error, not bad input" ch secrets recipients add "$EXTRA"
check "naming it as already there" contains "$ERR" "is already in"
# A string that is no age public key is bad input: exit 2 (issue 16), for add and rm alike.
cap 2 "a bad recipient is bad input" ch secrets recipients add age1notakey
check "naming it" contains "$ERR" "age1notakey"
cap 2 "notakey, without the age1 prefix, too" ch secrets recipients add notakey
check "naming it" contains "$ERR" "'notakey'"
cap 2 "and removing a bad key" ch secrets recipients rm notakey
check "the extra recipient is still the only one" [ "$(ch secrets recipients list)" = "$EXTRA" ]

# rotate-key: the old key no longer opens anything, the new one does, values unchanged.
cp "$STATE/keys/age.key" "$W/old.key"
cap 0 "rotate-key" ch secrets rotate-key --json
check "rotate-key re-encrypted 5 secrets" [ "$(printf '%s\n' "$OUT" | jq .secrets)" = 5 ]
NEWPUB=$(ch secrets identity)
check "the admin key changed" [ "$NEWPUB" != "$PUB" ]
check "rotate-key reported the new key" [ "$(printf '%s\n' "$OUT" | jq -r .identity)" = "$NEWPUB" ]
check "the old identity no longer decrypts" sh -c '! age -d -i "$1" "$2" >/dev/null 2>&1' sh "$W/old.key" "$STATE/secrets/db.pass.age"
check "the new identity decrypts" [ "$(age -d -i "$STATE/keys/age.key" "$STATE/secrets/db.pass.age")" = "$VAL1" ]
check "values are unchanged" [ "$(ch secrets get api-token)" = "$VAL2" ]
ch secrets get blob > "$W/blob.out"
check "binary value unchanged" cmp -s "$W/blob" "$W/blob.out"
rm -f "$W/blob.out"
check "the extra recipient still opens them" [ "$(age -d -i "$W/extra.key" "$STATE/secrets/api-token.age")" = "$VAL2" ]
cap 0 "recipients rm" ch secrets recipients rm "$EXTRA"
check "the removed recipient no longer decrypts" sh -c '! age -d -i "$1" "$2" >/dev/null 2>&1' sh "$W/extra.key" "$STATE/secrets/db.pass.age"
check "no temporary files are left" [ -z "$(ls -A "$STATE/secrets" "$STATE/keys" | grep -e '\.tmp-' -e '\.new$')" ]

# Grants and push to the lab.
cap 0 "lab up 3" ch lab up 3 --base $LAB_BASE
cap 0 "grant db.pass to n0 and n1" chc secrets grant db.pass -t n0,n1
cap 0 "grant api-token to n1" chc secrets grant api-token -t n1
cap 0 "list --json after grants" chc secrets list --json
check "grants are kept by machine name" [ "$(printf '%s\n' "$OUT" | jq -r '.secrets[] | select(.name == "db.pass") | .grants | join(",")')" = "n0,n1" ]
cap 2 "grant needs targets" chc secrets grant db.pass
cap 1 "grant of a missing secret" chc secrets grant nosuch -t n0
check "names it" contains "$ERR" "no secret 'nosuch'"

# Watch every process's arguments for the length of the push.
touch "$W/watching"
(
	while [ -f "$W/watching" ]; do
		# One cat a round: quick enough to see the short-lived commands on the nodes.
		cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\000' ' '
		echo
	done > "$W/cmdlines"
) &
WATCH=$!
sleep 0.3
cap 0 "push -t all" chc -vv --log-file "$W/push.log" secrets push -t all --json
sleep 0.3
rm -f "$W/watching"
wait $WATCH
check "push reports 3 ok nodes" [ "$(printf '%s\n' "$OUT" | jq .summary.ok)" = 3 ]
check "n0 got db.pass" [ "$(printf '%s\n' "$OUT" | jq -r '.nodes[] | select(.key == "n0") | .written | join(",")')" = "db.pass" ]
check "n1 got both" [ "$(printf '%s\n' "$OUT" | jq -r '.nodes[] | select(.key == "n1") | .written | join(",")')" = "api-token,db.pass" ]
check "n2 got nothing" [ "$(printf '%s\n' "$OUT" | jq -r '.nodes[] | select(.key == "n2") | .written | length')" = 0 ]
check "db.pass is on n0 with the exact content" cmp -s "$W/val1" "$(node_dir 0)/db.pass"
check "db.pass is on n1 with the exact content" cmp -s "$W/val1" "$(node_dir 1)/db.pass"
check "api-token is on n1 with the exact content" cmp -s "$W/val2" "$(node_dir 1)/api-token"
check "db.pass on n0 is mode 0400 owned by root" [ "$(stat -c '%a %U' "$(node_dir 0)/db.pass")" = "400 root" ]
check "api-token on n1 is mode 0400 owned by root" [ "$(stat -c '%a %U' "$(node_dir 1)/api-token")" = "400 root" ]
check "the directory is 0700" [ "$(stat -c %a "$(node_dir 0)")" = 700 ]
check "nothing on n2" [ ! -e "$(node_dir 2)/db.pass" ]
check "api-token is not on n0" [ ! -e "$(node_dir 0)/api-token" ]
check "no temporary file is left on n1" [ "$(ls -A "$(node_dir 1)" | tr '\n' ' ')" = "api-token db.pass " ]
check "the process watch saw the push running" grep -q 'secrets push' "$W/cmdlines"
check "no process argument held a value" sh -c '! grep -a -q -F -e "$1" -e "$2" "$3"' sh "$VAL1" "$VAL2" "$W/cmdlines"
check "the debug log of the push was written" [ -s "$W/push.log" ]

# The node seen through chimera exec: the file is there, its digest is the value's.
cap 0 "exec sha256sum on n0" chc exec -t n0 -- sha256sum /run/chimera/secrets/db.pass
check "the node's file digest matches" contains "$OUT" "$(sha256sum < "$W/val1" | cut -d' ' -f1)"

# Revoke one and push: removed there, kept elsewhere.
cap 0 "revoke db.pass from n0" chc secrets revoke db.pass -t n0
cap 0 "push again" chc secrets push -t all
check "the text output counts the nodes" contains "$OUT" "3 nodes: 3 ok, 0 failed"
check "it says db.pass was removed from n0" contains "$OUT" "removed: db.pass"
check "db.pass is gone from n0" [ ! -e "$(node_dir 0)/db.pass" ]
check "db.pass is still on n1" cmp -s "$W/val1" "$(node_dir 1)/db.pass"

# --owner and --dir.
cap 0 "push --owner nobody --dir" chc secrets push -t n1 --owner nobody --dir /run/other-secrets
check "the file is owned by nobody" [ "$(stat -c '%a %U' "$(node_root 1)/run/other-secrets/db.pass")" = "400 nobody" ]
cap 2 "a bad --owner is a usage error" chc secrets push -t n1 --owner 'x;y'

# Errors: exit 1 for what the store lacks, 2 for a bad name (issue 16); each names what is wrong.
cap 1 "get of a missing secret" ch secrets get nosuch
check "names it" contains "$ERR" "no secret 'nosuch'"
cap 2 "a bad name" ch secrets set 'bad/name' --file "$W/val1"
check "quotes it" contains "$ERR" "bad secret name 'bad/name'"
cap 2 "a bad name to get" ch secrets get 'bad/name'
cap 2 "or to rm" ch secrets rm 'bad/name'
cap 2 "an unknown subcommand" ch secrets frobnicate
cap 2 "get without a name" ch secrets get
mv "$STATE/keys/age.key" "$W/admin.key"
age-keygen -o "$STATE/keys/age.key" 2>/dev/null
cap 1 "get with the wrong key in place" ch secrets get db.pass
check "names the secret and the key" contains "$ERR" "secret 'db.pass'"
check "says no identity matches" contains "$ERR" "no identity matches"
cap 1 "push with the wrong key fails" chc secrets push -t n1
check "before touching the node" cmp -s "$W/val1" "$(node_dir 1)/db.pass"
rm -f "$STATE/keys/age.key"
cap 1 "get with no admin key at all" ch secrets get db.pass
check "says it is missing" contains "$ERR" "is missing"
mv "$W/admin.key" "$STATE/keys/age.key"
cp "$STATE/secrets/api-token.age" "$W/api.bak"
SIZE=$(stat -c %s "$W/api.bak")
# One byte of the tag flipped (not set: a byte that was that value already would change nothing).
B=$(od -An -tu1 -j $((SIZE - 3)) -N1 "$W/api.bak" | tr -d ' ')
printf "\\$(printf '%03o' $((B ^ 1)))" | dd of="$STATE/secrets/api-token.age" bs=1 seek=$((SIZE - 3)) conv=notrunc 2>/dev/null
check "the file changed" sh -c '! cmp -s "$1" "$2"' sh "$W/api.bak" "$STATE/secrets/api-token.age"
cap 1 "get of a corrupted file" ch secrets get api-token
check "names the file" contains "$ERR" "api-token.age"
check "says it is corrupted" contains "$ERR" "corrupted"
head -c $((SIZE - 40)) "$W/api.bak" > "$STATE/secrets/api-token.age"
cap 1 "get of a truncated file" ch secrets get api-token
check "says truncated or corrupted" sh -c 'case "$1" in *truncated*|*corrupted*) exit 0;; esac; exit 1' sh "$ERR"
cap 1 "rotate-key with a corrupted secret fails" ch secrets rotate-key
check "and leaves the admin key as it was" [ "$(ch secrets identity)" = "$NEWPUB" ]
cp "$W/api.bak" "$STATE/secrets/api-token.age"
check "restored, it reads again" [ "$(ch secrets get api-token)" = "$VAL2" ]

# Clean the nodes and the store; then look for the values everywhere.
cap 0 "revoke all" chc secrets revoke db.pass -t all
cap 0 "revoke api-token" chc secrets revoke api-token -t all
cap 0 "push removes the rest" chc secrets push -t all --json
check "n1 had 2 removed" [ "$(printf '%s\n' "$OUT" | jq -r '.nodes[] | select(.key == "n1") | .removed | length')" = 2 ]
cap 0 "push to the other dir" chc secrets push -t n1 --dir /run/other-secrets
cap 0 "rm a secret" ch secrets rm ext
cap 1 "rm it again" ch secrets rm ext
cap 0 "events --json" ch events --json
EV="$OUT"
printf '%s\n' "$EV" > "$W/events.json"
for topic in secret.set secret.rm secret.grant secret.revoke secret.recipients secret.rotate secret.push; do
	check "the ledger has $topic" grep -q "\"topic\":\"$topic\"" "$W/events.json"
done
cap 0 "the ledger verifies" ch ledger verify
for v in "$VAL1" "$VAL2" "$VAL3"; do
	check "value ${v%%-*} is nowhere in the state dir (chimera.db, lab nodes included)" sh -c '! grep -r -a -q -F -e "$1" "$2"' sh "$v" "$STATE"
	check "value ${v%%-*} is in no captured output or log" sh -c '! grep -a -q -F -e "$1" "$2" "$3"' sh "$v" "$CAP" "$W/push.log"
	check "value ${v%%-*} is not in the ledger" sh -c '! grep -a -q -F -e "$1" "$2"' sh "$v" "$W/events.json"
done
# The search itself works: the value files outside the state dir are found.
check "the search finds a value where it is" grep -a -q -F -e "$VAL1" "$W/val1"
finish
