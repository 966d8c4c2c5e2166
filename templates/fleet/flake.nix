# A fleet that chimera deploys: one configuration per machine, all built from this flake.
#
# chimera.toml gives each machine its configuration with `flake = ".#NAME"`, which chimera
# builds as packages.<system>.NAME: one of the `machines` below. To add a machine, write
# machines/NAME.nix, list it in `machines`, and give it a [machines.NAME] table in
# chimera.toml; `chimera deploy -t all` then builds each configuration once and deploys it.
{
  description = "A fleet of machines deployed by chimera";

  # Other flakes this one builds from: `chimera nix flake add-input NAME URL` writes them
  # here and locks them (flake.lock).
  inputs = {
  };

  outputs = { self, ... }:
    let
      # The systems the machines run; each builds with the machine's own /bin/sh.
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forSystems = f: builtins.listToAttrs (map (system: { name = system; value = f system; }) systems);

      # The machines: each file holds that machine's settings.
      machines = {
        web-1 = import ./machines/web-1.nix;
        db-1 = import ./machines/db-1.nix;
      };

      # A machine's configuration: its files under etc/, and bin/activate, which chimera
      # runs on the machine once its profile points at this configuration.
      configuration = system: name: settings:
        derivation {
          name = "${name}-configuration";
          inherit system;
          builder = "/bin/sh";
          hostName = name;
          inherit (settings) role motd;
          args = [ "-c" ''
            set -e
            /bin/mkdir -p $out/bin $out/etc
            printf '%s\n' "$hostName" > $out/etc/hostname
            printf '%s\n' "$motd" > $out/etc/motd
            {
              echo '#!/bin/sh'
              echo 'set -e'
              echo '/bin/mkdir -p /nix/var/chimera-fleet'
              echo '/bin/ln -sfn '"$out"' /nix/var/chimera-fleet/current'
              echo 'echo "activated '"$hostName"' ('"$role"')"'
            } > $out/bin/activate
            /bin/chmod +x $out/bin/activate
          '' ];
        } // { meta.description = "the configuration of ${name}, a ${settings.role}"; };
    in {
      packages = forSystems (system: builtins.mapAttrs (configuration system) machines);

      # `chimera nix flake check` builds every machine's configuration.
      checks = forSystems (system: self.packages.${system});
    };
}
