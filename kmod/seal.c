// SPDX-License-Identifier: GPL-2.0
/*
 * mig: sealed links. Once the handshake has proved the cluster key and
 * agreed on fresh keys, every byte each way goes through the kernel's own
 * TLS 1.3 record layer (the "tls" TCP upper-layer protocol), set up here
 * with those keys; no TLS handshake ever runs. Every record carries an
 * AEAD tag over its sequence number, so a byte flipped, a record injected,
 * dropped, replayed or reordered fails to decrypt: the receive returns
 * -EBADMSG and the link is dropped. The record layer rather than our own
 * per-frame AEAD because it seals what is written on the socket, whatever
 * sends it, uses the kernel's fastest implementation of the cipher, and
 * needs nothing new on the frame path (see Documentation/security.rst).
 *
 * Knobs: cipher (what this node proposes when it calls), rekey_mib and
 * rekey_secs (when a link is replaced by a fresh one, link.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kmod.h>
#include <linux/kobject.h>
#include <linux/net.h>
#include <linux/socket.h>
#include <linux/sysfs.h>
#include <linux/tls.h>
#include <net/tcp.h>

#include "mig.h"

struct mig_cipher_desc {
	const char *name;
	u16 tls_type;			/* TLS_CIPHER_* */
	unsigned int key_len;
	unsigned int salt_len;		/* nonce bytes before the explicit IV */
};

static const struct mig_cipher_desc mig_ciphers[__MIG_CIPHER_MAX] = {
	[MIG_CIPHER_AES128_GCM] = { "aes128-gcm", TLS_CIPHER_AES_GCM_128,
				    TLS_CIPHER_AES_GCM_128_KEY_SIZE,
				    TLS_CIPHER_AES_GCM_128_SALT_SIZE },
	[MIG_CIPHER_AES256_GCM] = { "aes256-gcm", TLS_CIPHER_AES_GCM_256,
				    TLS_CIPHER_AES_GCM_256_KEY_SIZE,
				    TLS_CIPHER_AES_GCM_256_SALT_SIZE },
	[MIG_CIPHER_CHACHA20_POLY1305] = {
		"chacha20-poly1305", TLS_CIPHER_CHACHA20_POLY1305,
		TLS_CIPHER_CHACHA20_POLY1305_KEY_SIZE,
		TLS_CIPHER_CHACHA20_POLY1305_SALT_SIZE },
};

/* The GCM and ChaCha20-Poly1305 layouts share this prefix. */
union mig_tls_info {
	struct tls_crypto_info info;
	struct tls12_crypto_info_aes_gcm_128 gcm128;
	struct tls12_crypto_info_aes_gcm_256 gcm256;
	struct tls12_crypto_info_chacha20_poly1305 chacha;
};

u8 mig_cipher = MIG_CIPHER_AES128_GCM;
unsigned int mig_rekey_mib = 4096;
unsigned int mig_rekey_secs = 3600;

/* 0 for an unknown cipher: the handshake refuses it. */
unsigned int mig_seal_key_len(u8 cipher)
{
	return cipher && cipher < __MIG_CIPHER_MAX ?
	       mig_ciphers[cipher].key_len : 0;
}

/*
 * Lays out one direction's keys the way the record layer wants them. In
 * TLS 1.3 the record nonce is the 12-byte base (salt || iv) XOR the
 * record's sequence number, which starts at 0 on each new link.
 */
static unsigned int mig_seal_fill(union mig_tls_info *ti, u8 cipher,
				  const struct mig_seal_keys *k)
{
	const struct mig_cipher_desc *c = &mig_ciphers[cipher];
	const u8 *iv = k->nonce + c->salt_len;

	memset(ti, 0, sizeof(*ti));
	ti->info.version = TLS_1_3_VERSION;
	ti->info.cipher_type = c->tls_type;
	switch (cipher) {
	case MIG_CIPHER_AES128_GCM:
		memcpy(ti->gcm128.key, k->key, c->key_len);
		memcpy(ti->gcm128.salt, k->nonce, c->salt_len);
		memcpy(ti->gcm128.iv, iv, sizeof(ti->gcm128.iv));
		return sizeof(ti->gcm128);
	case MIG_CIPHER_AES256_GCM:
		memcpy(ti->gcm256.key, k->key, c->key_len);
		memcpy(ti->gcm256.salt, k->nonce, c->salt_len);
		memcpy(ti->gcm256.iv, iv, sizeof(ti->gcm256.iv));
		return sizeof(ti->gcm256);
	default:
		memcpy(ti->chacha.key, k->key, c->key_len);
		memcpy(ti->chacha.iv, iv, sizeof(ti->chacha.iv));
		return sizeof(ti->chacha);
	}
}

static int mig_seal_setsockopt(struct socket *sock, int level, int name,
			       const void *val, unsigned int len)
{
	return sock->ops->setsockopt(sock, level, name,
				     KERNEL_SOCKPTR((void *)val), len);
}

static int mig_seal_direction(struct socket *sock, int dir, u8 cipher,
			      const struct mig_seal_keys *k)
{
	union mig_tls_info ti;
	unsigned int len = mig_seal_fill(&ti, cipher, k);
	int err;

	/* The record layer copies the keys; ours are wiped at once. */
	err = mig_seal_setsockopt(sock, SOL_TLS, dir, &ti, len);
	memzero_explicit(&ti, sizeof(ti));
	return err;
}

/*
 * Seals @sock, which has just finished its handshake and has nothing
 * unread after it: from here on each side's frames are TLS records.
 */
int mig_seal_install(struct socket *sock, u8 cipher,
		     const struct mig_seal_keys *tx,
		     const struct mig_seal_keys *rx)
{
	static const char ulp[] = "tls";
	int err;

	if (!mig_seal_key_len(cipher))
		return -EINVAL;
	err = mig_seal_setsockopt(sock, SOL_TCP, TCP_ULP, ulp, sizeof(ulp) - 1);
	if (!err)
		err = mig_seal_direction(sock, TLS_TX, cipher, tx);
	if (!err)
		err = mig_seal_direction(sock, TLS_RX, cipher, rx);
	if (err)
		pr_warn_ratelimited("cannot seal a link with %s: %d\n",
				    mig_ciphers[cipher].name, err);
	return err;
}

static ssize_t cipher_show(struct kobject *k, struct kobj_attribute *a,
			   char *buf)
{
	u8 cur = READ_ONCE(mig_cipher);
	ssize_t n = 0;
	u8 i;

	/* Like the kernel's own choice files: the one in use in brackets. */
	for (i = 1; i < __MIG_CIPHER_MAX; i++)
		n += sysfs_emit_at(buf, n, i == cur ? "[%s]%s" : "%s%s",
				   mig_ciphers[i].name,
				   i + 1 < __MIG_CIPHER_MAX ? " " : "\n");
	return n;
}

static ssize_t cipher_store(struct kobject *k, struct kobj_attribute *a,
			    const char *buf, size_t len)
{
	u8 i;

	for (i = 1; i < __MIG_CIPHER_MAX; i++) {
		if (sysfs_streq(buf, mig_ciphers[i].name)) {
			WRITE_ONCE(mig_cipher, i);
			return len;
		}
	}
	return -EINVAL;
}

static struct kobj_attribute cipher_attr = __ATTR_RW(cipher);

MIG_KNOB(rekey_mib, mig_rekey_mib, 1, 1 << 20);
MIG_KNOB(rekey_secs, mig_rekey_secs, 10, 7 * 86400);

static const struct attribute *const mig_seal_attrs[] = {
	&cipher_attr.attr,
	&rekey_mib_knob.attr.attr,
	&rekey_secs_knob.attr.attr,
	NULL,
};

int mig_seal_init(void)
{
	/*
	 * The record layer is a module of its own (CONFIG_TLS=m): load it
	 * now, so that a node that cannot seal says so at insmod rather
	 * than failing every link later.
	 */
	int err = request_module("tls");

	if (err) {
		pr_err("the kernel's TLS module (tls.ko) cannot be loaded: %d\n",
		       err);
		return err < 0 ? err : -ENOENT;
	}
	return mig_sysfs_add(mig_seal_attrs);
}

void mig_seal_exit(void)
{
	mig_sysfs_remove(mig_seal_attrs);
}
