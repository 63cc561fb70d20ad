/* The program execloop runs: does nothing, statically linked so exec cost is the kernel's. */
int main(void)
{
	return 0;
}
