# db-1's settings, from which flake.nix builds its configuration.
{
  role = "database server";
  motd = "db-1: a database server, deployed by chimera";
}
