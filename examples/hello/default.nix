# A configuration that needs nothing but /bin/sh: no nixpkgs, no binary cache.
# `version` changes the result, so deploying 1 then 2 makes two generations.
# bin/activate records which version was activated in /nix/var/chimera-hello/activated
# (each lab node has a private /nix).
{ version ? "1" }:
let
  data = derivation {
    name = "hello-data-${version}";
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" "/bin/mkdir -p $out && echo 'hello, version ${version}' > $out/greeting" ];
  };
in
derivation {
  name = "hello-${version}";
  system = builtins.currentSystem;
  builder = "/bin/sh";
  inherit data version;
  args = [ "-c" ''
    /bin/mkdir -p $out/bin
    /bin/ln -s $data $out/data
    {
      echo '#!/bin/sh'
      echo 'cat '"$data"'/greeting'
    } > $out/bin/hello
    {
      echo '#!/bin/sh'
      echo 'set -e'
      echo '/bin/mkdir -p /nix/var/chimera-hello'
      echo 'echo '"$version"' > /nix/var/chimera-hello/activated'
      echo 'echo "activated hello '"$version"'"'
    } > $out/bin/activate
    /bin/chmod +x $out/bin/hello $out/bin/activate
  '' ];
}
