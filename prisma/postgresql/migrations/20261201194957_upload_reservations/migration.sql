-- CreateTable
CREATE TABLE "UploadReservation" (
    "id" TEXT NOT NULL,
    "tenantId" INTEGER NOT NULL,
    "userId" INTEGER NOT NULL,
    "bytes" INTEGER NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "UploadReservation_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "UploadReservation_userId_expiresAt_idx" ON "UploadReservation"("userId", "expiresAt");

-- CreateIndex
CREATE INDEX "FilePromise_userId_expiresAt_idx" ON "FilePromise"("userId", "expiresAt");
