// SPDX-License-Identifier: GPL-2.0
/*
 * mig: the cluster key and the HMAC-SHA256 proofs exchanged when a link
 * is set up. The key itself lives only inside the crypto transform (which
 * wipes it when freed); nothing ever reads it back.
 */
#include <crypto/hash.h>
#include <linux/err.h>
#include <linux/mutex.h>

#include "mig.h"

static struct crypto_shash *mig_hmac;
static DEFINE_MUTEX(mig_hmac_lock);	/* setkey and digest share the tfm */
static bool mig_key_present;

int mig_auth_init(void)
{
	mig_hmac = crypto_alloc_shash("hmac(sha256)", 0, 0);
	if (IS_ERR(mig_hmac)) {
		int err = PTR_ERR(mig_hmac);

		mig_hmac = NULL;
		pr_err("mig: hmac(sha256) unavailable: %d\n", err);
		return err;
	}
	return 0;
}

void mig_auth_exit(void)
{
	crypto_free_shash(mig_hmac);
	mig_hmac = NULL;
	mig_key_present = false;
}

int mig_auth_set_key(const u8 *key, unsigned int len)
{
	int err;

	if (len < MIG_KEY_MIN_LEN || len > MIG_KEY_MAX_LEN)
		return -EINVAL;
	mutex_lock(&mig_hmac_lock);
	err = crypto_shash_setkey(mig_hmac, key, len);
	mig_key_present = !err;
	mutex_unlock(&mig_hmac_lock);
	return err;
}

bool mig_auth_has_key(void)
{
	return READ_ONCE(mig_key_present);
}

/*
 * The proof binds the key to the direction (src, dst) and to both fresh
 * nonces, so it can be neither replayed nor reflected back at its sender.
 */
int mig_auth_mac(u16 src, u16 dst, const u8 *src_nonce, const u8 *dst_nonce,
		 u8 mac[MIG_MAC_LEN])
{
	struct {
		char label[sizeof(MIG_AUTH_LABEL) - 1];
		__be16 src;
		__be16 dst;
		u8 src_nonce[MIG_NONCE_LEN];
		u8 dst_nonce[MIG_NONCE_LEN];
	} __packed msg;
	int err;

	memcpy(msg.label, MIG_AUTH_LABEL, sizeof(msg.label));
	msg.src = cpu_to_be16(src);
	msg.dst = cpu_to_be16(dst);
	memcpy(msg.src_nonce, src_nonce, MIG_NONCE_LEN);
	memcpy(msg.dst_nonce, dst_nonce, MIG_NONCE_LEN);

	mutex_lock(&mig_hmac_lock);
	if (!mig_key_present) {
		err = -ENOKEY;
	} else {
		SHASH_DESC_ON_STACK(desc, mig_hmac);

		desc->tfm = mig_hmac;
		err = crypto_shash_digest(desc, (const u8 *)&msg, sizeof(msg),
					  mac);
		shash_desc_zero(desc);
	}
	mutex_unlock(&mig_hmac_lock);
	return err;
}
