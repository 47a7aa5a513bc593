// SPDX-License-Identifier: GPL-2.0
/*
 * mig: the cluster key, and HMAC-SHA256 keyed with it: the proofs
 * exchanged when a link is set up and the extraction of its keys. The key itself lives only inside the crypto transform (which
 * wipes it when freed); nothing ever reads it back.
 */
#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <crypto/sha2.h>
#include <linux/err.h>
#include <linux/mutex.h>
#include <linux/uio.h>

#include "mig.h"

static struct crypto_shash *mig_hmac;
static DEFINE_MUTEX(mig_hmac_lock);	/* setkey and digest share the tfm */
static bool mig_key_present;
/*
 * SHA-256 of the key loaded, under mig_hmac_lock: only to tell whether a
 * key loaded again is the same (migctl up), never shown.
 */
static u8 mig_key_digest[SHA256_DIGEST_SIZE];

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
	memzero_explicit(mig_key_digest, sizeof(mig_key_digest));
}

int mig_auth_set_key(const u8 *key, unsigned int len)
{
	int err;

	if (len < MIG_KEY_MIN_LEN || len > MIG_KEY_MAX_LEN)
		return -EINVAL;
	mutex_lock(&mig_hmac_lock);
	err = crypto_shash_setkey(mig_hmac, key, len);
	mig_key_present = !err;
	if (!err)
		sha256(key, len, mig_key_digest);
	else
		memzero_explicit(mig_key_digest, sizeof(mig_key_digest));
	mutex_unlock(&mig_hmac_lock);
	return err;
}

/* Whether @key is the key loaded now. */
bool mig_auth_key_is(const u8 *key, unsigned int len)
{
	u8 digest[SHA256_DIGEST_SIZE];
	bool same;

	sha256(key, len, digest);
	mutex_lock(&mig_hmac_lock);
	same = mig_key_present &&
	       !crypto_memneq(digest, mig_key_digest, sizeof(digest));
	mutex_unlock(&mig_hmac_lock);
	memzero_explicit(digest, sizeof(digest));
	return same;
}

bool mig_auth_has_key(void)
{
	return READ_ONCE(mig_key_present);
}

/*
 * HMAC-SHA256 keyed with the cluster key over the concatenation of
 * @parts: the handshake's proofs and the extraction of its link keys.
 */
int mig_auth_hmac(const struct kvec *parts, unsigned int n,
		  u8 mac[MIG_MAC_LEN])
{
	unsigned int i;
	int err;

	mutex_lock(&mig_hmac_lock);
	if (!mig_key_present) {
		err = -ENOKEY;
	} else {
		SHASH_DESC_ON_STACK(desc, mig_hmac);

		desc->tfm = mig_hmac;
		err = crypto_shash_init(desc);
		for (i = 0; i < n && !err; i++)
			err = crypto_shash_update(desc, parts[i].iov_base,
						  parts[i].iov_len);
		if (!err)
			err = crypto_shash_final(desc, mac);
		shash_desc_zero(desc);
	}
	mutex_unlock(&mig_hmac_lock);
	return err;
}
