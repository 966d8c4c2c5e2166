# Packages built from nothing but /bin/sh: no inputs, no binary cache, no network.
# Each has a meta.description, the words `chimera nix search` finds it by.
{
  description = "Packages that build offline";

  outputs = { self, ... }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forSystems = f: builtins.listToAttrs (map (system: { name = system; value = f system; }) systems);

      # A package: one shell script, bin/PNAME, that runs TEXT.
      script = system: { pname, version, description, text }:
        derivation {
          name = "${pname}-${version}";
          inherit system pname version text;
          builder = "/bin/sh";
          args = [ "-c" ''
            /bin/mkdir -p $out/bin
            { echo '#!/bin/sh'; printf '%s\n' "$text"; } > $out/bin/$pname
            /bin/chmod +x $out/bin/$pname
          '' ];
        } // { meta = { inherit description; }; };
    in {
      packages = forSystems (system: rec {
        hello = script system {
          pname = "hello";
          version = "1.0";
          description = "Prints a friendly greeting";
          text = "echo 'hello, world'";
        };
        uptime-report = script system {
          pname = "uptime-report";
          version = "0.2";
          description = "Reports how long the machine has been running";
          text = "read up idle < /proc/uptime; echo \"up for $up seconds\"";
        };
        default = hello;
      });

      # `chimera nix flake check` builds them.
      checks = forSystems (system: { inherit (self.packages.${system}) hello uptime-report; });
    };
}
