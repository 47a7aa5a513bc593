// SPDX-License-Identifier: GPL-2.0
/*
 * mig: the key schedule of a link. Each handshake makes a fresh X25519
 * key pair, so a cluster key stolen later cannot open a recorded link
 * (forward secrecy); the record keys of each direction come from HKDF
 * (RFC 5869) over HMAC-SHA256: extracted with the cluster key from the
 * transcript hash and the X25519 result, expanded with one label per
 * direction. The X25519 secret never leaves its crypto transform, which
 * wipes it when freed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <crypto/kpp.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>

#include "mig.h"

/* Checks at load that X25519 is there (its module loads on demand). */
int mig_keys_init(void)
{
	struct crypto_kpp *kpp = crypto_alloc_kpp("curve25519", 0, 0);

	if (IS_ERR(kpp)) {
		pr_err("X25519 (crypto \"curve25519\") unavailable: %ld\n",
		       PTR_ERR(kpp));
		return PTR_ERR(kpp);
	}
	crypto_free_kpp(kpp);
	return 0;
}

/*
 * One X25519 operation: with @peer NULL, our public key into @out; else
 * the shared secret with @peer. Buffers go through scatterlists, so they
 * are copied to the heap (stacks may be vmapped).
 */
static int mig_kx_compute(struct crypto_kpp *kpp, const u8 *peer, u8 *out)
{
	struct scatterlist src, dst;
	struct kpp_request *req;
	DECLARE_CRYPTO_WAIT(wait);
	u8 *buf;
	int err;

	buf = kzalloc(2 * MIG_SHARE_LEN, GFP_KERNEL);
	req = kpp_request_alloc(kpp, GFP_KERNEL);
	err = -ENOMEM;
	if (!buf || !req)
		goto out;
	if (peer) {
		memcpy(buf + MIG_SHARE_LEN, peer, MIG_SHARE_LEN);
		sg_init_one(&src, buf + MIG_SHARE_LEN, MIG_SHARE_LEN);
	}
	sg_init_one(&dst, buf, MIG_SHARE_LEN);
	kpp_request_set_input(req, peer ? &src : NULL, peer ? MIG_SHARE_LEN : 0);
	kpp_request_set_output(req, &dst, MIG_SHARE_LEN);
	kpp_request_set_callback(req, 0, crypto_req_done, &wait);
	err = crypto_wait_req(peer ? crypto_kpp_compute_shared_secret(req) :
				     crypto_kpp_generate_public_key(req),
			      &wait);
	if (!err)
		memcpy(out, buf, MIG_SHARE_LEN);
out:
	if (req)
		kpp_request_free(req);
	kfree_sensitive(buf);
	return err;
}

/* A fresh key pair: the secret stays in *kpp, the public key in @share. */
int mig_kx_new(struct crypto_kpp **kpp, u8 share[MIG_SHARE_LEN])
{
	struct crypto_kpp *tfm = crypto_alloc_kpp("curve25519", 0, 0);
	int err;

	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	err = crypto_kpp_set_secret(tfm, NULL, 0);	/* 0: a random one */
	if (!err)
		err = mig_kx_compute(tfm, NULL, share);
	if (err) {
		crypto_free_kpp(tfm);
		return err;
	}
	*kpp = tfm;
	return 0;
}

/*
 * The shared secret with the peer's public key. An all-zero result means
 * the peer sent a point of small order: no secret at all, refused.
 */
int mig_kx_shared(struct crypto_kpp *kpp, const u8 peer[MIG_SHARE_LEN],
		  u8 out[MIG_SHARE_LEN])
{
	static const u8 zero[MIG_SHARE_LEN];
	int err = mig_kx_compute(kpp, peer, out);

	if (!err && !crypto_memneq(out, zero, MIG_SHARE_LEN)) {
		memzero_explicit(out, MIG_SHARE_LEN);
		err = -EKEYREJECTED;
	}
	return err;
}

void mig_kx_free(struct crypto_kpp *kpp)
{
	if (!IS_ERR_OR_NULL(kpp))
		crypto_free_kpp(kpp);
}

/*
 * HKDF-Expand with HMAC-SHA256: T(i) = HMAC(prk, T(i-1) || info || i),
 * output the first @len bytes of T(1) || T(2) || ...
 */
int mig_hkdf_expand(const u8 prk[MIG_MAC_LEN], const char *info, u8 *out,
		    unsigned int len)
{
	struct crypto_shash *hmac;
	u8 block[MIG_MAC_LEN];
	unsigned int done = 0;
	u8 i;
	int err;

	if (len > 255 * MIG_MAC_LEN)
		return -EINVAL;
	hmac = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(hmac))
		return PTR_ERR(hmac);
	err = crypto_shash_setkey(hmac, prk, MIG_MAC_LEN);
	for (i = 1; !err && done < len; i++) {
		SHASH_DESC_ON_STACK(desc, hmac);

		desc->tfm = hmac;
		err = crypto_shash_init(desc);
		if (!err && i > 1)
			err = crypto_shash_update(desc, block, MIG_MAC_LEN);
		if (!err)
			err = crypto_shash_update(desc, info, strlen(info));
		if (!err)
			err = crypto_shash_finup(desc, &i, 1, block);
		shash_desc_zero(desc);
		if (!err) {
			memcpy(out + done, block, min(len - done, MIG_MAC_LEN));
			done += min(len - done, MIG_MAC_LEN);
		}
	}
	memzero_explicit(block, sizeof(block));
	crypto_free_shash(hmac);
	return err;
}
