-- CreateTable
CREATE TABLE "UploadReservation" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "tenantId" INTEGER NOT NULL,
    "userId" INTEGER NOT NULL,
    "bytes" INTEGER NOT NULL,
    "expiresAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE INDEX "UploadReservation_userId_expiresAt_idx" ON "UploadReservation"("userId", "expiresAt");

-- CreateIndex
CREATE INDEX "FilePromise_userId_expiresAt_idx" ON "FilePromise"("userId", "expiresAt");
