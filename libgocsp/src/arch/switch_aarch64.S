/*
 * Context switch for AArch64 (AAPCS64).  Saves x19-x30 and d8-d15 in a
 * 176-byte frame on the current stack, stores sp in from->sp, loads to->sp
 * and restores.  A new context starts in gocsp__regs_trampoline with the
 * entry function in x20 and its argument in x19.
 */
	.text
	.globl	gocsp__regs_switch
	.hidden	gocsp__regs_switch
	.type	gocsp__regs_switch, %function
gocsp__regs_switch:
	sub	sp, sp, #176
	stp	x19, x20, [sp, #0]
	stp	x21, x22, [sp, #16]
	stp	x23, x24, [sp, #32]
	stp	x25, x26, [sp, #48]
	stp	x27, x28, [sp, #64]
	stp	x29, x30, [sp, #80]
	stp	d8, d9, [sp, #96]
	stp	d10, d11, [sp, #112]
	stp	d12, d13, [sp, #128]
	stp	d14, d15, [sp, #144]
	mov	x2, sp
	str	x2, [x0]
	ldr	x2, [x1]
	mov	sp, x2
	ldp	x19, x20, [sp, #0]
	ldp	x21, x22, [sp, #16]
	ldp	x23, x24, [sp, #32]
	ldp	x25, x26, [sp, #48]
	ldp	x27, x28, [sp, #64]
	ldp	x29, x30, [sp, #80]
	ldp	d8, d9, [sp, #96]
	ldp	d10, d11, [sp, #112]
	ldp	d12, d13, [sp, #128]
	ldp	d14, d15, [sp, #144]
	add	sp, sp, #176
	ret
	.size	gocsp__regs_switch, .-gocsp__regs_switch

	.globl	gocsp__regs_trampoline
	.hidden	gocsp__regs_trampoline
	.type	gocsp__regs_trampoline, %function
gocsp__regs_trampoline:
	mov	x0, x19
	blr	x20
	brk	#0
	.size	gocsp__regs_trampoline, .-gocsp__regs_trampoline

	.section .note.GNU-stack,"",%progbits
