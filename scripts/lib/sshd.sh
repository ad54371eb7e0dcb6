# sshd for the stand-in hosts of the tests (sourced by scripts/test-host.sh and scripts/test-swarm.sh).

# write_sshd_config FILE LISTEN KEYDIR STREAMLOCAL PIDFILE: a root-by-key-only sshd listening on LISTEN
# (address:port), its host keys and authorized_keys in KEYDIR, AllowStreamLocalForwarding STREAMLOCAL.
write_sshd_config() {
  local file=$1 listen=$2 keys=$3 streamlocal=$4 pidfile=$5
  cat >"$file" <<EOF
# sshd of a test host (scripts/lib/sshd.sh)
ListenAddress $listen
HostKey $keys/ssh_host_ed25519_key
HostKey $keys/ssh_host_ecdsa_key
PidFile $pidfile
AuthorizedKeysFile $keys/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
AllowTcpForwarding yes
AllowStreamLocalForwarding $streamlocal
MaxSessions 10
LogLevel VERBOSE
EOF
}

# make_ssh_keys KEYDIR COMMENT: host keys, a user key (id_ed25519) it accepts, and a stranger key it does not.
make_ssh_keys() {
  local keys=$1 comment=$2
  ssh-keygen -q -t ed25519 -N '' -C "$comment" -f "$keys/ssh_host_ed25519_key"
  ssh-keygen -q -t ecdsa -N '' -C "$comment" -f "$keys/ssh_host_ecdsa_key"
  ssh-keygen -q -t ed25519 -N '' -C "deploy-test-user" -f "$keys/id_ed25519"
  ssh-keygen -q -t ed25519 -N '' -C "deploy-test-stranger" -f "$keys/id_stranger"
  cp "$keys/id_ed25519.pub" "$keys/authorized_keys"
  chmod 600 "$keys/authorized_keys"
}
