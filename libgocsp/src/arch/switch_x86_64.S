/*
 * Context switch for x86-64 (System V).  gocsp__regs_switch(from, to) pushes
 * the callee-saved registers on the current stack, stores the stack pointer
 * in from->sp, loads to->sp and pops the registers saved there.  A new
 * context (gocsp__regs_make) starts in gocsp__regs_trampoline with the entry
 * function in r13 and its argument in r12.
 */
	.text
	.globl	gocsp__regs_switch
	.hidden	gocsp__regs_switch
	.type	gocsp__regs_switch, @function
gocsp__regs_switch:
	.cfi_startproc
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, (%rdi)
	movq	(%rsi), %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
	.cfi_endproc
	.size	gocsp__regs_switch, .-gocsp__regs_switch

	.globl	gocsp__regs_trampoline
	.hidden	gocsp__regs_trampoline
	.type	gocsp__regs_trampoline, @function
gocsp__regs_trampoline:
	.cfi_startproc
	.cfi_undefined rip
	movq	%r12, %rdi
	callq	*%r13
	ud2
	.cfi_endproc
	.size	gocsp__regs_trampoline, .-gocsp__regs_trampoline

	.section .note.GNU-stack,"",@progbits
