"""Fact tables: Linux system call names, seccomp architectures, capabilities and actions.

Written from the Linux syscall tables (``arch/*/entry/syscalls``, ``include/uapi/asm-generic/
unistd.h``), libseccomp's architecture and action names and ``capabilities(7)``. The syscall
table answers one question only — "is this a system call on *some* architecture, and if it is
architecture-specific, on which?" — which is what profile validation needs (FC604). It does not
hold syscall numbers. Kept as data, without z3, so the importer can use it.
"""
from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


#: Calls of the generic table (asm-generic/unistd.h) — present on every modern architecture,
#: x86_64 included (the 64-bit time and 64-bit offset variants are listed separately below).
GENERIC = _words("""
io_setup io_destroy io_submit io_cancel io_getevents setxattr lsetxattr fsetxattr getxattr
lgetxattr fgetxattr listxattr llistxattr flistxattr removexattr lremovexattr fremovexattr
getcwd lookup_dcookie eventfd2 epoll_create1 epoll_ctl epoll_pwait dup dup3 fcntl
inotify_init1 inotify_add_watch inotify_rm_watch ioctl ioprio_set ioprio_get flock mknodat
mkdirat unlinkat symlinkat linkat renameat umount2 mount pivot_root nfsservctl statfs fstatfs
truncate ftruncate fallocate faccessat chdir fchdir chroot fchmod fchmodat fchownat fchown
openat close vhangup pipe2 quotactl getdents64 lseek read write readv writev pread64 pwrite64
preadv pwritev sendfile pselect6 ppoll signalfd4 vmsplice splice tee readlinkat newfstatat
fstat sync fsync fdatasync sync_file_range timerfd_create timerfd_settime timerfd_gettime
utimensat acct capget capset personality exit exit_group waitid set_tid_address unshare futex
set_robust_list get_robust_list nanosleep getitimer setitimer kexec_load init_module
delete_module timer_create timer_gettime timer_getoverrun timer_settime timer_delete
clock_settime clock_gettime clock_getres clock_nanosleep syslog ptrace sched_setparam
sched_setscheduler sched_getscheduler sched_getparam sched_setaffinity sched_getaffinity
sched_yield sched_get_priority_max sched_get_priority_min sched_rr_get_interval
restart_syscall kill tkill tgkill sigaltstack rt_sigsuspend rt_sigaction rt_sigprocmask
rt_sigpending rt_sigtimedwait rt_sigqueueinfo rt_sigreturn setpriority getpriority reboot
setregid setgid setreuid setuid setresuid getresuid setresgid getresgid setfsuid setfsgid
times setpgid getpgid getsid setsid getgroups setgroups uname sethostname setdomainname
getrlimit setrlimit getrusage umask prctl getcpu gettimeofday settimeofday adjtimex getpid
getppid getuid geteuid getgid getegid gettid sysinfo mq_open mq_unlink mq_timedsend
mq_timedreceive mq_notify mq_getsetattr msgget msgctl msgrcv msgsnd semget semctl semtimedop
semop shmget shmctl shmat shmdt socket socketpair bind listen accept connect getsockname
getpeername sendto recvfrom setsockopt getsockopt shutdown sendmsg recvmsg readahead brk
munmap mremap add_key request_key keyctl clone execve mmap fadvise64 swapon swapoff mprotect
msync mlock munlock mlockall munlockall mincore madvise remap_file_pages mbind get_mempolicy
set_mempolicy migrate_pages move_pages rt_tgsigqueueinfo perf_event_open accept4 recvmmsg
wait4 prlimit64 fanotify_init fanotify_mark name_to_handle_at open_by_handle_at clock_adjtime
syncfs setns sendmmsg process_vm_readv process_vm_writev kcmp finit_module sched_setattr
sched_getattr renameat2 seccomp getrandom memfd_create bpf execveat userfaultfd membarrier
mlock2 copy_file_range preadv2 pwritev2 pkey_mprotect pkey_alloc pkey_free statx
io_pgetevents rseq kexec_file_load pidfd_send_signal io_uring_setup io_uring_enter
io_uring_register open_tree move_mount fsopen fsconfig fsmount fspick pidfd_open clone3
close_range openat2 pidfd_getfd faccessat2 process_madvise epoll_pwait2 mount_setattr
quotactl_fd landlock_create_ruleset landlock_add_rule landlock_restrict_self memfd_secret
process_mrelease futex_waitv set_mempolicy_home_node cachestat fchmodat2 map_shadow_stack
futex_wake futex_wait futex_requeue statmount listmount lsm_get_self_attr lsm_set_self_attr
lsm_list_modules mseal setxattrat getxattrat listxattrat removexattrat open_tree_attr
uretprobe
""")

#: Older calls kept by x86_64 and most architectures that predate the generic table (x86, arm,
#: mips, powerpc, s390, ...), but absent from arm64/riscv64/loongarch64.
LEGACY = _words("""
open creat link unlink mknod chmod chown lchown stat lstat access rename mkdir rmdir pipe dup2
select poll epoll_create epoll_wait inotify_init eventfd signalfd fork vfork getdents utime
utimes futimesat getpgrp pause alarm time sysfs ustat uselib readlink symlink sendfile
_sysctl create_module get_kernel_syms query_module afs_syscall getpmsg putpmsg tuxcall
security vserver epoll_ctl_old epoll_wait_old set_thread_area get_thread_area
""")

#: 32-bit ABIs (x86, arm, mips o32, powerpc, s390 31-bit): 64-bit offsets, 16/32-bit ids,
#: multiplexers and the ``*_time64`` calls of the y2038 work.
COMPAT32 = _words("""
_llseek _newselect mmap2 fcntl64 fstat64 fstatat64 lstat64 stat64 statfs64 fstatfs64
truncate64 ftruncate64 sendfile64 fadvise64_64 chown32 fchown32 lchown32 getuid32 geteuid32
getgid32 getegid32 getgroups32 setgroups32 setuid32 setgid32 setreuid32 setregid32
setresuid32 getresuid32 setresgid32 getresgid32 setfsuid32 setfsgid32 ugetrlimit
sigaction sigprocmask sigpending sigsuspend sigreturn signal sgetmask ssetmask waitpid
socketcall ipc stime oldfstat oldlstat oldstat olduname oldolduname readdir umount nice
recv send vm86 vm86old idle break ftime gtty stty lock mpx prof profil ulimit
clock_gettime64 clock_settime64 clock_adjtime64 clock_getres_time64 clock_nanosleep_time64
timer_gettime64 timer_settime64 timerfd_gettime64 timerfd_settime64 utimensat_time64
pselect6_time64 ppoll_time64 io_pgetevents_time64 recvmmsg_time64 mq_timedsend_time64
mq_timedreceive_time64 semtimedop_time64 rt_sigtimedwait_time64 futex_time64
sched_rr_get_interval_time64
""")

#: Calls that exist only on some architectures: name -> the architectures (Docker/Go names).
ARCH_SPECIFIC: dict[str, frozenset[str]] = {
    "arch_prctl": frozenset({"amd64", "x32", "x86"}),
    "modify_ldt": frozenset({"amd64", "x32", "x86"}),
    "iopl": frozenset({"amd64", "x32", "x86"}),
    "ioperm": frozenset({"amd64", "x32", "x86"}),
    "kexec_file_load": frozenset({"amd64", "x32", "arm64", "s390x", "ppc64le", "riscv64", "loong64"}),
    "arm_fadvise64_64": frozenset({"arm"}),
    "arm_sync_file_range": frozenset({"arm"}),
    "breakpoint": frozenset({"arm"}),
    "cacheflush": frozenset({"arm", "mips", "mipsel", "mips64", "mipsel64", "mips64n32",
                             "mipsel64n32"}),
    "set_tls": frozenset({"arm"}),
    "usr26": frozenset({"arm"}),
    "usr32": frozenset({"arm"}),
    "sync_file_range2": frozenset({"arm", "arm64", "ppc", "ppc64", "ppc64le"}),
    "swapcontext": frozenset({"ppc", "ppc64", "ppc64le"}),
    "subpage_prot": frozenset({"ppc64", "ppc64le"}),
    "rtas": frozenset({"ppc", "ppc64", "ppc64le"}),
    "spu_run": frozenset({"ppc64", "ppc64le"}),
    "spu_create": frozenset({"ppc64", "ppc64le"}),
    "sys_debug_setcontext": frozenset({"ppc"}),
    "s390_pci_mmio_read": frozenset({"s390", "s390x"}),
    "s390_pci_mmio_write": frozenset({"s390", "s390x"}),
    "s390_runtime_instr": frozenset({"s390", "s390x"}),
    "s390_guarded_storage": frozenset({"s390", "s390x"}),
    "s390_sthyi": frozenset({"s390", "s390x"}),
    "riscv_flush_icache": frozenset({"riscv64"}),
    "riscv_hwprobe": frozenset({"riscv64"}),
    "sysmips": frozenset({"mips", "mipsel", "mips64", "mipsel64", "mips64n32", "mipsel64n32"}),
    "set_thread_area": frozenset({"amd64", "x32", "x86", "mips", "mipsel", "mips64",
                                  "mipsel64", "mips64n32", "mipsel64n32"}),
    "get_thread_area": frozenset({"amd64", "x32", "x86"}),
    "map_shadow_stack": frozenset({"amd64", "x32"}),
}

#: Every name that is a system call on at least one architecture.
ALL_SYSCALLS: frozenset[str] = GENERIC | LEGACY | COMPAT32 | frozenset(ARCH_SPECIFIC)

#: Architecture names of ``includes.arches`` / ``excludes.arches`` (Docker spells them as Go's
#: GOARCH where one exists, moby's profile uses these) -> the libseccomp name.
ARCHES: dict[str, str] = {
    "amd64": "SCMP_ARCH_X86_64", "x86": "SCMP_ARCH_X86", "x32": "SCMP_ARCH_X32",
    "arm": "SCMP_ARCH_ARM", "arm64": "SCMP_ARCH_AARCH64",
    "mips": "SCMP_ARCH_MIPS", "mipsel": "SCMP_ARCH_MIPSEL", "mips64": "SCMP_ARCH_MIPS64",
    "mipsel64": "SCMP_ARCH_MIPSEL64", "mips64n32": "SCMP_ARCH_MIPS64N32",
    "mipsel64n32": "SCMP_ARCH_MIPSEL64N32", "ppc": "SCMP_ARCH_PPC", "ppc64": "SCMP_ARCH_PPC64",
    "ppc64le": "SCMP_ARCH_PPC64LE", "s390": "SCMP_ARCH_S390", "s390x": "SCMP_ARCH_S390X",
    "parisc": "SCMP_ARCH_PARISC", "parisc64": "SCMP_ARCH_PARISC64",
    "riscv64": "SCMP_ARCH_RISCV64", "loong64": "SCMP_ARCH_LOONGARCH64",
    "m68k": "SCMP_ARCH_M68K", "sh": "SCMP_ARCH_SH", "sheb": "SCMP_ARCH_SHEB",
}
#: Other spellings people use for the same architectures.
ARCH_ALIASES: dict[str, str] = {
    "x86_64": "amd64", "386": "x86", "i386": "x86", "i686": "x86", "aarch64": "arm64",
    "loongarch64": "loong64", "ppc64el": "ppc64le", "mips64le": "mipsel64", "mipsle": "mipsel",
}
#: libseccomp architecture names (``architectures`` and ``archMap``).
SCMP_ARCHES: frozenset[str] = frozenset(ARCHES.values()) | frozenset({"SCMP_ARCH_NATIVE"})

#: Linux capabilities, in the kernel's numbering (capabilities(7)).
CAPABILITIES: tuple[str, ...] = (
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID",
    "CAP_KILL", "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW",
    "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
    "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN",
    "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON",
    "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
)

#: Seccomp actions (libseccomp / OCI runtime-spec names).
ACTIONS: frozenset[str] = frozenset({
    "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
    "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
})
#: Actions under which the system call runs.
PERMISSIVE_ACTIONS: frozenset[str] = frozenset({"SCMP_ACT_ALLOW", "SCMP_ACT_LOG"})

#: Argument comparison operators (libseccomp ``scmp_compare``).
OPERATORS: frozenset[str] = frozenset({
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
    "SCMP_CMP_MASKED_EQ",
})

#: clone(2) namespace flags (include/uapi/linux/sched.h).
CLONE_NEWNS = 0x00020000
CLONE_NEWCGROUP = 0x02000000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NEW_MASK = (CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER
                  | CLONE_NEWPID | CLONE_NEWNET)

#: System calls whose reachability a container audit reports: escapes, kernel attack
#: surface, namespace and mount manipulation, module loading, tracing.
DANGEROUS: tuple[str, ...] = (
    "acct", "add_key", "bpf", "clock_settime", "clone", "clone3", "delete_module",
    "finit_module", "fsconfig", "fsmount", "fsopen", "init_module", "ioperm", "iopl",
    "kcmp", "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie", "mount",
    "move_mount", "name_to_handle_at", "nfsservctl", "open_by_handle_at", "open_tree",
    "perf_event_open", "personality", "pivot_root", "process_vm_readv", "process_vm_writev",
    "ptrace", "quotactl", "reboot", "request_key", "setns", "settimeofday", "swapoff",
    "swapon", "syslog", "umount", "umount2", "unshare", "userfaultfd", "vhangup",
)
