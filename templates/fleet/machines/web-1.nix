# web-1's settings, from which flake.nix builds its configuration.
{
  role = "web server";
  motd = "web-1: a web server, deployed by chimera";
}
