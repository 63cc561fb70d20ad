/*
 * Packet loss for tcptracer-k8s's tests, where the kernel has no netem: a tc classifier (clsact, direct action)
 * that drops PERCENT of the packets carrying data (-DPERCENT=N at build) at random. Attached at the receiving end's ingress,
 * so that to the sender it is loss on the wire (dropped at its own egress, TCP would take it as local
 * congestion and send again, not retransmit).
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>

static __u32 (*bpf_get_prandom_u32)(void) = (void *)BPF_FUNC_get_prandom_u32;

__attribute__((section("tc"), used)) int drop(struct __sk_buff *skb)
{
	if (skb->len < 200) /* handshakes, FINs and bare ACKs pass: a lost SYN waits seconds, and only data counts */
		return TC_ACT_OK;
	return bpf_get_prandom_u32() % 100 < PERCENT ? TC_ACT_SHOT : TC_ACT_OK;
}

char _license[] __attribute__((section("license"), used)) = "GPL";
