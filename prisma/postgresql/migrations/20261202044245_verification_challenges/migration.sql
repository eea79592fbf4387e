-- AlterTable
ALTER TABLE "Tenant" ADD COLUMN     "verificationSettings" TEXT NOT NULL DEFAULT '{}';

-- CreateTable
CREATE TABLE "VerificationChallenge" (
    "id" SERIAL NOT NULL,
    "publicId" TEXT NOT NULL,
    "tenantId" INTEGER NOT NULL,
    "userId" INTEGER NOT NULL,
    "email" TEXT NOT NULL,
    "phone" TEXT,
    "methods" TEXT NOT NULL,
    "redirectUrl" TEXT,
    "state" TEXT NOT NULL DEFAULT 'open',
    "failures" INTEGER NOT NULL DEFAULT 0,
    "retries" INTEGER NOT NULL DEFAULT 0,
    "lastSentAt" TIMESTAMP(3) NOT NULL,
    "nextSendAt" TIMESTAMP(3) NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completedAt" TIMESTAMP(3),

    CONSTRAINT "VerificationChallenge_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "VerificationSecret" (
    "id" SERIAL NOT NULL,
    "challengeId" INTEGER NOT NULL,
    "method" TEXT NOT NULL,
    "secretHash" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "doneAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "VerificationSecret_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "VerificationChallenge_publicId_key" ON "VerificationChallenge"("publicId");

-- CreateIndex
CREATE INDEX "VerificationChallenge_tenantId_userId_idx" ON "VerificationChallenge"("tenantId", "userId");

-- CreateIndex
CREATE INDEX "VerificationSecret_challengeId_method_idx" ON "VerificationSecret"("challengeId", "method");

-- AddForeignKey
ALTER TABLE "VerificationChallenge" ADD CONSTRAINT "VerificationChallenge_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "VerificationSecret" ADD CONSTRAINT "VerificationSecret_challengeId_fkey" FOREIGN KEY ("challengeId") REFERENCES "VerificationChallenge"("id") ON DELETE CASCADE ON UPDATE CASCADE;
