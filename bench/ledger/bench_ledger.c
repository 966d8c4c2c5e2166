/* Ledger benchmark: placeholder until written. */
int main(void) { return 0; }
